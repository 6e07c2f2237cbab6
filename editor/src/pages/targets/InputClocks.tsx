import type { ApiSchema } from '@loopgate/contracts';
import { answer, loopgate } from '../../api/client';
import { useResource } from '../../api/hooks';
import { Notice, Time } from '../../components/Notice';

/** One decision input's source clock against the gateway's, as `GET /autonomy/inputs` reports it. */
export type InputClock = ApiSchema<'InputClock'>;

const loadClocks = (signal: AbortSignal) => answer(loopgate.GET('/autonomy/inputs', { signal }));

const QUALITY_TONE: Record<InputClock['quality'], string> = {
  good: 'tone-ok',
  uncertain: 'tone-pending',
  bad: 'tone-bad',
};

/** "2.31 s ahead", "0.40 s behind": the skew as an operator reads it. */
function skewText(seconds: number): string {
  if (Math.abs(seconds) < 0.005) return 'in step';
  return `${Math.abs(seconds).toFixed(2)} s ${seconds > 0 ? 'ahead' : 'behind'}`;
}

/**
 * The clocks of the inputs AI decisions rest on (OPC UA source timestamps), against the gateway's:
 * a source clock running ahead past the site's limit refuses its decisions (CLOCK_SKEW); a large
 * lag is latency or a stale source.
 */
export function InputClocksPanel() {
  const clocks = useResource(loadClocks, { refreshMs: 5000 });
  const list = clocks.data ?? [];
  const skewed = list.filter((c) => c.skewed);
  return (
    <section className="panel input-clocks" aria-labelledby="input-clocks-heading">
      <header className="panel-header">
        <h2 id="input-clocks-heading">Input clocks</h2>
        <span className="muted small">source time against the gateway's clock at receipt, refreshed every 5 s</span>
      </header>
      {clocks.error && <Notice tone="error">Could not load input clocks: {clocks.error}</Notice>}
      {skewed.length > 0 && (
        <Notice tone="error">
          {skewed.length === 1 ? `${skewed[0].name} runs` : `${skewed.length} inputs run`} ahead of the gateway past the
          allowed skew: decisions on {skewed.length === 1 ? 'it' : 'them'} are refused until the source clock is
          corrected.
        </Notice>
      )}
      {list.length === 0 && !clocks.loading && !clocks.error ? (
        <p className="muted small">No decision has named its inputs yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Input</th>
              <th>Clock</th>
              <th>Quality</th>
              <th>Last source time</th>
              <th>Received</th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.name} data-input={c.name}>
                <td className="mono wrap-anywhere">{c.name}</td>
                <td>
                  <span className={`badge ${c.skewed ? 'tone-bad' : 'tone-muted'}`}>{skewText(c.skewSeconds)}</span>
                </td>
                <td>
                  <span className={`badge ${QUALITY_TONE[c.quality]}`}>{c.quality}</span>
                </td>
                <td>
                  <Time iso={c.sourceTime} />
                </td>
                <td>
                  <Time iso={c.seenAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
