import type { DecisionRecord } from '@loopgate/contracts';
import { Time, formatValue } from '../../components/Notice';

/** Rule evaluations as they happen: which version decided, on which facts, what it asked for. */
export function DecisionList({ decisions }: { decisions: DecisionRecord[] }) {
  if (decisions.length === 0)
    return <p className="empty">No decisions since this page opened. Rule evaluations that fire appear here live.</p>;
  return (
    <table className="table">
      <caption className="sr-only">Rule decisions, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Rule set</th>
          <th scope="col">Fired</th>
          <th scope="col">Facts</th>
          <th scope="col">Inference</th>
        </tr>
      </thead>
      <tbody>
        {decisions.map((d, i) => (
          <tr key={`${d.time}-${i}`}>
            <td>
              <Time iso={d.time} />
            </td>
            <td>
              {d.ruleSetId} <span className="muted">v{d.ruleSetVersion}</span>
            </td>
            <td>
              {d.firedEvents.length === 0 ? (
                <span className="muted">nothing</span>
              ) : (
                d.firedEvents.map((e, j) => (
                  <span key={j} className="chip">
                    {String(e.params?.action ?? e.type)}
                  </span>
                ))
              )}
            </td>
            <td className="facts-cell">
              {Object.entries(d.facts)
                .slice(0, 4)
                .map(([k, v]) => `${k}=${formatValue(v)}`)
                .join('  ')}
            </td>
            <td className="mono small">{d.inferenceId ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
