import type { WriteBackOutcome } from '@loopgate/contracts';
import { Time } from '../../components/Notice';
import { AiFlag } from '../../components/StateBadge';
import { ChangeCell, ObjectCell } from './describe';

interface ApprovalsInboxProps {
  pending: WriteBackOutcome[];
  /** Whether the signed-in user may sign this one (QA-only changes, not one's own request). */
  maySign: (o: WriteBackOutcome) => boolean;
  onReview: (o: WriteBackOutcome) => void;
  error?: string;
}

function signHint(o: WriteBackOutcome): string {
  if (o.approval?.requiresQuality) return 'Needs a QA signature.';
  return 'Needs an operator or QA signature from someone other than the requester.';
}

/** Changes that site change control says need a person, oldest first (they expire). */
export function ApprovalsInbox({ pending, maySign, onReview, error }: ApprovalsInboxProps) {
  return (
    <section className="panel" aria-labelledby="approvals-title" id="approvals" tabIndex={-1}>
      <header className="panel-header">
        <h2 id="approvals-title">
          Approvals inbox{' '}
          <span className={pending.length > 0 ? 'count count-pending' : 'count count-zero'}>{pending.length}</span>
        </h2>
      </header>
      {error && <p className="error-text">{error}</p>}
      {pending.length === 0 ? (
        <p className="empty">Nothing is waiting for a signature.</p>
      ) : (
        <ul className="approval-list">
          {pending.map((o) => (
            <li key={o.commandId} className="approval" data-command-id={o.commandId}>
              <div className="approval-head">
                {o.initiator === 'ai' ? <AiFlag /> : <span className="human-flag">Human</span>}
                <span className="muted small">
                  <Time iso={o.timings.receivedAt} />
                </span>
              </div>
              <ObjectCell outcome={o} />
              <ChangeCell outcome={o} />
              <div className="muted small">
                {o.target.instance}
                {o.approval?.rule ? ` · ${o.approval.rule}` : o.message && ` · ${o.message}`}
              </div>
              {(o.approval?.asked ?? 1) > 1 && (
                <div className="small asked" data-asked={o.approval!.asked}>
                  Proposed {o.approval!.asked} times while waiting
                  {o.approval!.lastAskedAt && (
                    <>
                      , last <Time iso={o.approval!.lastAskedAt} />
                    </>
                  )}
                </div>
              )}
              {o.approval?.expiresAt && (
                <div className="small">
                  Expires <Time iso={o.approval.expiresAt} />
                  {o.approval.requiresQuality && <span className="chip chip-qa">QA signature</span>}
                </div>
              )}
              {maySign(o) ? (
                <button type="button" className="button button-small button-primary" onClick={() => onReview(o)}>
                  Review and sign…
                </button>
              ) : (
                <p className="muted small">{signHint(o)}</p>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
