import type { WriteBackOutcome } from '@loopgate/contracts';
import { Fragment, useState } from 'react';
import { Time, formatValue } from '../../components/Notice';
import { AiFlag, StateBadge, stateTone } from '../../components/StateBadge';
import { ChangeCell, ObjectCell } from './describe';
import { reasonWords } from '../../components/reason-words';

interface OutcomeTableProps {
  outcomes: WriteBackOutcome[];
  canRevert: (o: WriteBackOutcome) => boolean;
  onRevert: (o: WriteBackOutcome) => void;
  onReview: (o: WriteBackOutcome) => void;
  maySign: (o: WriteBackOutcome) => boolean;
  mayRevert: boolean;
}

/** The live list of write-backs: newest first, AI-initiated ones flagged, one action to revert. */
export function OutcomeTable({ outcomes, canRevert, onRevert, onReview, maySign, mayRevert }: OutcomeTableProps) {
  const [open, setOpen] = useState<string>();
  // The gateway links both ways; a revert seen on the stream marks its original at once.
  const revertedBy = new Set(
    outcomes
      .filter((o) => o.revertOf && o.state !== 'failed' && o.state !== 'rejected' && o.state !== 'expired')
      .map((o) => o.revertOf!),
  );
  if (outcomes.length === 0)
    return <p className="empty">No write-backs match. New ones appear here the moment the gateway decides.</p>;
  return (
    <table className="table outcomes-table">
      <caption className="sr-only">Write-backs, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Source</th>
          <th scope="col">Object and target</th>
          <th scope="col">Change</th>
          <th scope="col">State</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody aria-live="polite" aria-relevant="additions">
        {outcomes.map((o) => (
          <Fragment key={o.commandId}>
            <tr
              className={`row tone-row-${stateTone(o.state)}${o.initiator === 'ai' ? ' row-ai' : ''}`}
              data-command-id={o.commandId}
              data-state={o.state}
              data-revert-of={o.revertOf}
            >
              <td>
                <Time iso={o.timings.appliedAt ?? o.timings.decidedAt ?? o.timings.receivedAt} />
              </td>
              <td>{o.initiator === 'ai' ? <AiFlag /> : <span className="human-flag">Human</span>}</td>
              <td>
                <ObjectCell outcome={o} withTarget />
              </td>
              <td>
                <ChangeCell outcome={o} />
              </td>
              <td>
                <StateBadge state={o.revertOf && o.state === 'reverted' ? 'revert-applied' : o.state} />
                {(o.revertedBy || revertedBy.has(o.commandId)) && <span className="chip chip-revert">reverted</span>}
                {o.approval?.signature && (
                  <span
                    className="chip chip-signed"
                    title={`${o.approval.signature.meaning} by ${o.approval.signature.signerName} at ${o.approval.signature.signedAt}`}
                  >
                    ✔ signed
                  </span>
                )}
                {o.reasonCode && (
                  <div className="small">
                    {reasonWords(o.reasonCode)} <span className="reason">{o.reasonCode}</span>
                  </div>
                )}
              </td>
              <td className="actions">
                {o.state === 'pending-approval' && maySign(o) && (
                  <button type="button" className="button button-small button-primary" onClick={() => onReview(o)}>
                    Review…
                  </button>
                )}
                {mayRevert && canRevert(o) && (
                  <button
                    type="button"
                    className="button button-small button-warn"
                    onClick={() => onRevert(o)}
                    aria-label={`Revert ${o.parameter ?? o.action} on ${o.object.id}`}
                  >
                    Revert…
                  </button>
                )}
                <button
                  type="button"
                  className="button button-small button-ghost"
                  aria-expanded={open === o.commandId}
                  aria-controls={`details-${o.commandId}`}
                  onClick={() => setOpen(open === o.commandId ? undefined : o.commandId)}
                >
                  Details
                </button>
              </td>
            </tr>
            {open === o.commandId && (
              <tr className="details-row" id={`details-${o.commandId}`}>
                <td colSpan={6}>
                  <OutcomeDetails outcome={o} />
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

function OutcomeDetails({ outcome: o }: { outcome: WriteBackOutcome }) {
  const l = o.lineage;
  const rows: [string, unknown][] = [
    ['Command', o.commandId],
    ['Request', o.requestId],
    ['Action', o.action],
    ['Message', o.message],
    ['Inference', l.inferenceId],
    [
      'Model',
      l.modelId
        ? `${l.modelId}${l.modelVersion ? ` v${l.modelVersion}` : ''}${l.score !== undefined ? ` · score ${l.score}` : ''}`
        : undefined,
    ],
    ['Rule', l.ruleSetId ? `${l.ruleSetId} v${l.ruleSetVersion ?? '?'} · ${l.ruleName ?? ''}` : undefined],
    ['Flow', l.flowId ? `${l.flowId} ${l.flowVersion ?? ''} · node ${l.nodeId ?? ''}` : undefined],
    ['MES transaction', o.mesTransactionId],
    ['Reverts', o.revertOf],
    ['Reverted by', o.revertedBy],
    ['Requested by', o.requestedBy],
    ['Approval rule', o.approval?.rule],
    [
      'Signed',
      o.approval?.signature
        ? `${o.approval.signature.signerName} · ${o.approval.signature.meaning} · ${o.approval.signature.signedAt}`
        : undefined,
    ],
    ['Received', o.timings.receivedAt],
    ['Decided', o.timings.decidedAt],
    ['Applied', o.timings.appliedAt],
  ];
  return (
    <dl className="details-grid">
      {rows
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{formatValue(v)}</dd>
          </div>
        ))}
    </dl>
  );
}
