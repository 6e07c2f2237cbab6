import type { ReplayReport as Report, ReplayRequest } from '@loopgate/contracts';
import { useEffect, useState } from 'react';
import { errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { Time, formatValue } from '../../components/Notice';

const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
  timeZoneName: 'short',
});

/** Both ends of a range with their date and the zone: a window over midnight reads right. */
function LocalDateTime({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={iso}>
      {DATE_TIME.format(new Date(iso))}
    </time>
  );
}

/**
 * What-if replay: the candidate run over recorded decisions, against the live version,
 * without writing anything. Shown before anything is submitted or approved.
 */
export function ReplayReport({ ruleSetId, request }: { ruleSetId: string; request: ReplayRequest }) {
  const [report, setReport] = useState<Report>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const key = JSON.stringify(request);
  useEffect(() => {
    let live = true;
    setLoading(true);
    setError(undefined);
    gateway
      .replay(ruleSetId, JSON.parse(key) as ReplayRequest)
      .then((r) => live && setReport(r))
      .catch((e: unknown) => live && setError(errorText(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [ruleSetId, key]);

  return (
    <section className="replay" aria-labelledby="replay-title" aria-busy={loading}>
      <h3 id="replay-title">What-if replay over recorded decisions</h3>
      {loading && <p className="muted">Replaying…</p>}
      {error && <p className="notice notice-warn">Replay unavailable: {error}</p>}
      {report && !loading && (
        <>
          <p data-testid="replay-summary">
            {report.decisions === 0 ? 'No' : report.decisions} recorded decision{report.decisions === 1 ? '' : 's'}{' '}
            between <LocalDateTime iso={report.from} /> and <LocalDateTime iso={report.to} />
            {report.liveVersion !== undefined ? ` against live v${report.liveVersion}` : ' (no live version yet)'}:{' '}
            <strong className="change-text-added">{report.wouldAdd} would add</strong> a write-back,{' '}
            <strong className="change-text-removed">{report.wouldRemove} would drop</strong> one.
          </p>
          {report.differences.length > 0 && (
            <table className="table compact">
              <caption className="sr-only">Decisions that would change</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Facts</th>
                  <th scope="col">Only the candidate</th>
                  <th scope="col">Only live</th>
                </tr>
              </thead>
              <tbody>
                {report.differences.slice(0, 20).map((d, i) => (
                  <tr key={i}>
                    <td>
                      <Time iso={d.time} />
                    </td>
                    <td className="mono small">
                      {Object.entries(d.facts)
                        // Measurements decide rules; ids only say where: numbers and flags first.
                        .sort(([, a], [, b]) => Number(typeof a === 'string') - Number(typeof b === 'string'))
                        .slice(0, 4)
                        .map(([k, v]) => `${k}=${formatValue(v)}`)
                        .join(' ')}
                    </td>
                    <td className="change-text-added small">
                      {d.onlyCandidate.map((e) => String(e.params?.action ?? e.type)).join(', ') || '—'}
                    </td>
                    <td className="change-text-removed small">
                      {d.onlyLive.map((e) => String(e.params?.action ?? e.type)).join(', ') || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
