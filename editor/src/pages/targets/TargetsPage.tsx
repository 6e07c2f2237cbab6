import type { TargetStatus } from '@loopgate/contracts';
import { useState } from 'react';
import { errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { useResource } from '../../api/hooks';
import { can, getSession } from '../../api/session';
import { Notice, Time } from '../../components/Notice';
import { useLive } from '../../live';
import { AlarmsPanel } from '../../components/AlarmsPanel';
import { InputClocksPanel } from './InputClocks';

const loadTargets = () => gateway.targets();

/** How each MES target is doing: health, queue, rate against its limit, recent errors, shadow and pause. */
export function TargetsPage() {
  const targets = useResource(loadTargets, { refreshMs: 3000 });
  const live = useLive();
  const user = getSession()?.user;
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const list = (targets.data ?? []).map((t) => live.targets[t.instance] ?? t);

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
              act(`pause:${t.instance}`, () =>
                t.paused ? gateway.resumeTarget(t.instance) : gateway.pauseTarget(t.instance),
              )
            }
            onShadow={() => act(`shadow:${t.instance}`, () => gateway.setShadow(t.instance, !t.shadow))}
          />
        ))}
      </div>
      {!targets.loading && list.length === 0 && !targets.error && <p className="empty">No targets are configured.</p>}
      <InputClocksPanel />
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
  return (
    <section
      className={`panel target-card${t.healthy ? '' : ' target-unhealthy'}`}
      aria-labelledby={headingId}
      data-target={t.instance}
    >
      <header className="panel-header">
        <h2 id={headingId}>
          <span
            className={`health-dot ${t.healthy ? 'healthy' : 'unhealthy'}`}
            role="img"
            aria-label={t.healthy ? 'healthy' : 'unhealthy'}
          />{' '}
          {t.instance}
        </h2>
        <span className="muted">{t.kind}</span>
      </header>
      <div className="target-states">
        <span className={`badge ${t.healthy ? 'tone-ok' : 'tone-bad'}`}>{t.healthy ? 'Healthy' : 'Unhealthy'}</span>
        <span className={`badge ${t.paused ? 'tone-pending' : 'tone-muted'}`}>
          {t.paused ? 'Paused' : 'Dispatching'}
        </span>
        <span className={`badge ${t.shadow ? 'tone-shadow' : 'tone-muted'}`}>
          {t.shadow ? 'Shadow mode' : 'Live writes'}
        </span>
      </div>
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
