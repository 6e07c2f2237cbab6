import type { useAnnotations } from './canvas-context';

const OUTCOME_TEXT = { passed: '✓ passed', failed: '✗ failed', skipped: '– not evaluated' } as const;
const CHANGE_TEXT = { added: '+ added', removed: '− removed', changed: '~ changed', unchanged: '' } as const;

/** The annotations every node shows the same way: issues, test outcome, diff status, input order. */
export function NodeFooter({ annotations: a }: { annotations: ReturnType<typeof useAnnotations> }) {
  return (
    <>
      {a.order !== undefined && (
        <span className="node-order" title="Position in the gate's inputs (JSON array order)">
          #{a.order}
        </span>
      )}
      {a.outcome && <div className={`node-outcome outcome-text-${a.outcome}`}>{OUTCOME_TEXT[a.outcome]}</div>}
      {a.change && a.change !== 'unchanged' && (
        <div className={`node-change change-text-${a.change}`}>{CHANGE_TEXT[a.change]}</div>
      )}
      {a.issues.length > 0 && (
        <ul className="node-issues" role="alert">
          {a.issues.map((issue, i) => (
            <li key={i}>⚠ {issue}</li>
          ))}
        </ul>
      )}
    </>
  );
}
