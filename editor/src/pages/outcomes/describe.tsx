import type { WriteBackOutcome } from '@loopgate/contracts';
import { formatValue } from '../../components/Notice';

/** `Line-1 / CNC-01 · recipe-parameter CNC-01/OP20` */
export function ObjectCell({ outcome, withTarget = false }: { outcome: WriteBackOutcome; withTarget?: boolean }) {
  const eq = outcome.object.equipment;
  const where = [eq?.site, eq?.workCenter, eq?.workUnit].filter(Boolean).join(' / ');
  return (
    <div className="object-cell">
      <div>{outcome.object.id}</div>
      {withTarget && (
        <div className="small nowrap" title={`Target ${outcome.target.instance} (${outcome.target.kind})`}>
          {outcome.target.instance}
        </div>
      )}
      <div className="muted small">
        {outcome.object.type}
        {where && ` · ${where}`}
      </div>
    </div>
  );
}

/** What the change does: `FeedRate 1200 → 1180`, or the action for changes without a value. */
export function ChangeCell({ outcome }: { outcome: WriteBackOutcome }) {
  const hasValue = outcome.newValue !== undefined || outcome.priorValue !== undefined;
  return (
    <div className="change-cell">
      <div>
        <span className="param">{outcome.parameter ?? outcome.action}</span>
        {outcome.revertOf && <span className="chip chip-revert">revert</span>}
      </div>
      {hasValue && (
        <div className="values">
          <span className="prior" title="Prior value">
            {formatValue(outcome.priorValue)}
          </span>
          <span aria-label="changes to"> → </span>
          <span className="new" title="New value">
            {formatValue(outcome.newValue)}
          </span>
        </div>
      )}
    </div>
  );
}

export function describeChange(outcome: WriteBackOutcome): string {
  const what = outcome.parameter
    ? `${outcome.parameter} ${formatValue(outcome.priorValue)} → ${formatValue(outcome.newValue)}`
    : outcome.action;
  return `${what} on ${outcome.object.id} at ${outcome.target.instance}`;
}
