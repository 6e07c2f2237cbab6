import type { TargetStatus } from '@loopgate/contracts';
import { useState } from 'react';
import { errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { useResource } from '../../api/hooks';
import { can, getSession } from '../../api/session';
import { Notice, Time } from '../../components/Notice';
import { useLive } from '../../live';
import { AlarmsPanel } from '../../components/AlarmsPanel';
import { QuarantinePanel } from '../../components/QuarantinePanel';
import { ReasonDialog, type ReasonRequest } from '../../components/ReasonDialog';
import { InputClocksPanel } from './InputClocks';

const loadTargets = () => gateway.targets();

/** How each MES target is doing: health, queue, rate against its limit, recent errors, shadow and pause. */
export function TargetsPage() {
  const targets = useResource(loadTargets, { refreshMs: 3000 });
  const live = useLive();
  const user = getSession()?.user;
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [asking, setAsking] = useState<ReasonRequest>();
  // The live stream carries the dispatch state; the event-log mirror's state comes with the list.
  const list = (targets.data ?? []).map((t) => ({ ...t, ...live.targets[t.instance], eventLog: t.eventLog }));

  const act = async (key: string, call: () => Promise<unknown>) => {
    setBusy(key);
    setError(undefined);
    try {
      await call();
      targets.reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <div className="page page-targets">
      <div className="page-title-row">
        <h1>Targets</h1>
        <span className="muted">{list.length} configured · refreshed every 3 s</span>
      </div>
      {targets.error && <Notice tone="error">Could not load targets: {targets.error}</Notice>}
      {error && <Notice tone="error">{error}</Notice>}
      <AlarmsPanel />
      <div className="target-grid">
        {list.map((t) => (
          <TargetCard
            key={t.instance}
            target={t}
            busy={busy}
            mayControl={can(user, 'control')}
            onPause={() =>
              setAsking(
                t.paused
                  ? {
                      title: `Resume ${t.instance}`,
                      explanation: `Queued write-backs to ${t.instance} are sent again, in their order.`,
                      action: `Resume ${t.instance}`,
                      run: (reason) => act(`pause:${t.instance}`, () => gateway.resumeTarget(t.instance, reason)),
                    }
                  : {
                      title: `Pause ${t.instance}`,
                      explanation: `No write-back reaches ${t.instance} until it is resumed; requests are still judged and queued in order.`,
                      action: `Pause ${t.instance}`,
                      run: (reason) => act(`pause:${t.instance}`, () => gateway.pauseTarget(t.instance, reason)),
                    },
              )
            }
            onShadow={() =>
              setAsking({
                title: t.shadow ? `Live writes to ${t.instance}` : `Shadow mode for ${t.instance}`,
                explanation: t.shadow
                  ? `Write-backs to ${t.instance} are written to the MES again.`
                  : `Write-backs to ${t.instance} are decided and audited, and nothing is written to the MES.`,
                action: t.shadow ? 'Leave shadow mode' : 'Enter shadow mode',
                run: (reason) => act(`shadow:${t.instance}`, () => gateway.setShadow(t.instance, !t.shadow, reason)),
              })
            }
          />
        ))}
      </div>
      {!targets.loading && list.length === 0 && !targets.error && <p className="empty">No targets are configured.</p>}
      <QuarantinePanel />
      <InputClocksPanel />
      <ReasonDialog request={asking} onClose={() => setAsking(undefined)} />
    </div>
  );
}

function TargetCard({
  target: t,
  busy,
  mayControl,
  onPause,
  onShadow,
}: {
  target: TargetStatus;
  busy: string | undefined;
  mayControl: boolean;
  onPause: () => void;
  onShadow: () => void;
}) {
  const ratio = t.rateLimit > 0 ? Math.min(1, t.currentRate / t.rateLimit) : 0;
  const headingId = `target-${t.instance}`;
  // One state, by colour and by word: down before unhealthy before paused.
  const state = t.down ? 'down' : !t.healthy ? 'unhealthy' : t.paused ? 'paused' : 'healthy';
  const STATE_WORDS = { down: 'Down', unhealthy: 'Unhealthy', paused: 'Paused', healthy: 'Healthy' } as const;
  return (
    <section className={`panel target-card target-${state}`} aria-labelledby={headingId} data-target={t.instance}>
      <header className="panel-header">
        <h2 id={headingId}>
          <span className={`health-dot ${state}`} role="img" aria-label={STATE_WORDS[state].toLowerCase()} />{' '}
          {t.instance}
        </h2>
        <span className="muted">{t.kind}</span>
      </header>
      <div className="target-states">
        <span className={`badge ${t.down || !t.healthy ? 'tone-bad' : 'tone-ok'}`}>
          {t.down ? 'Down' : t.healthy ? 'Healthy' : 'Unhealthy'}
        </span>
        <span className={`badge ${t.paused ? 'tone-pending' : 'tone-muted'}`}>
          {t.paused ? 'Paused' : 'Dispatching'}
        </span>
        <span className={`badge ${t.shadow ? 'tone-shadow' : 'tone-muted'}`}>
          {t.shadow ? 'Shadow mode' : 'Live writes'}
        </span>
      </div>
      {t.down && (
        <p className="target-down small" role="status">
          <strong>Down</strong> since <Time iso={t.down.since} />: {t.down.reason}. Its write-backs wait in order;
          nothing fails for it. Probed {t.down.probes} {t.down.probes === 1 ? 'time' : 'times'}, next at{' '}
          <Time iso={t.down.nextProbeAt} />.
        </p>
      )}
      {t.healthMessage && <p className="muted small">{t.healthMessage}</p>}
      <dl className="metrics">
        <div>
          <dt>Queue depth</dt>
          <dd className="metric">{t.queueDepth}</dd>
        </div>
        <div>
          <dt>Rate</dt>
          <dd className="metric">
            {t.currentRate.toFixed(1)} <span className="muted small">/ {t.rateLimit} per s</span>
          </dd>
        </div>
      </dl>
      <div className="rate-bar">
        <meter
          min={0}
          max={t.rateLimit || 1}
          low={(t.rateLimit || 1) * 0.7}
          high={(t.rateLimit || 1) * 0.9}
          optimum={0}
          value={t.currentRate}
          aria-label={`Rate ${t.currentRate.toFixed(1)} of ${t.rateLimit} writes per second`}
        />
        <span className="muted small">{Math.round(ratio * 100)}% of limit</span>
      </div>
      {t.eventLog && <EventLogLine log={t.eventLog} />}
      <h3 className="small-heading">Last errors</h3>
      {t.lastErrors.length === 0 ? (
        <p className="muted small">None.</p>
      ) : (
        <ul className="error-list">
          {t.lastErrors.slice(0, 5).map((e, i) => (
            <li key={i}>
              <Time iso={e.time} /> <span className="reason">{e.code}</span> {e.message}
            </li>
          ))}
        </ul>
      )}
      <div className="card-actions">
        {mayControl && (
          <button
            type="button"
            className={t.paused ? 'button button-primary' : 'button'}
            onClick={onPause}
            disabled={busy === `pause:${t.instance}`}
          >
            {t.paused ? `Resume ${t.instance}` : `Pause ${t.instance}`}
          </button>
        )}
        {mayControl && (
          <button
            type="button"
            className="button button-ghost"
            onClick={onShadow}
            disabled={busy === `shadow:${t.instance}`}
          >
            {t.shadow ? 'Leave shadow mode' : 'Enter shadow mode'}
          </button>
        )}
      </div>
    </section>
  );
}

/** Where the audit trail stands in the MES's own event log: caught up, behind (delayed, never lost), or failing. */
function EventLogLine({ log }: { log: NonNullable<TargetStatus['eventLog']> }) {
  if (log.lastError) {
    return (
      <p className="event-log event-log-behind small" role="status">
        <strong>MES event log behind</strong>: {log.pending} {log.pending === 1 ? 'record waits' : 'records wait'} (
        <span className="reason">{log.lastError.code}</span> {log.lastError.message}); next try{' '}
        {log.nextAttemptAt ? <Time iso={log.nextAttemptAt} /> : 'soon'}. Write-backs are not held.
      </p>
    );
  }
  return (
    <p className="event-log small muted">
      MES event log:{' '}
      {log.pending === 0 ? 'up to date' : `${log.pending} ${log.pending === 1 ? 'record' : 'records'} on the way`}
      {log.lastSentAt && (
        <>
          , last event <Time iso={log.lastSentAt} />
        </>
      )}
      .
    </p>
  );
}
