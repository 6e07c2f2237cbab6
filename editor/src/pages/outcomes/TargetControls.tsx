import type { TargetStatus } from '@loopgate/contracts';
import { useState } from 'react';
import { errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { ErrorText } from '../../components/Notice';

interface TargetControlsProps {
  targets: TargetStatus[];
  mayControl: boolean;
  onChanged: () => void;
}

/** Pause and resume dispatch per target: queued changes wait, in order, while a target is paused. */
export function TargetControls({ targets, mayControl, onChanged }: TargetControlsProps) {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const toggle = async (t: TargetStatus) => {
    setBusy(t.instance);
    setError(undefined);
    try {
      await (t.paused ? gateway.resumeTarget(t.instance) : gateway.pauseTarget(t.instance));
      onChanged();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section className="panel" aria-labelledby="targets-title">
      <header className="panel-header">
        <h2 id="targets-title">Targets</h2>
      </header>
      <ErrorText error={error} />
      <ul className="target-list">
        {targets.map((t) => (
          <li key={t.instance} className="target-row" data-target={t.instance}>
            <span
              className={`health-dot ${t.healthy ? 'healthy' : 'unhealthy'}`}
              role="img"
              aria-label={t.healthy ? 'healthy' : 'unhealthy'}
            />
            <span className="target-name">
              {t.instance}
              <span className="muted small"> · {t.kind}</span>
            </span>
            {t.shadow && <span className="badge tone-shadow">Shadow</span>}
            {t.paused && <span className="badge tone-pending">Paused</span>}
            {mayControl && (
              <button
                type="button"
                className={t.paused ? 'button button-small button-primary' : 'button button-small'}
                disabled={busy === t.instance}
                onClick={() => toggle(t)}
                aria-label={`${t.paused ? 'Resume' : 'Pause'} ${t.instance}`}
              >
                {t.paused ? 'Resume' : 'Pause'}
              </button>
            )}
          </li>
        ))}
        {targets.length === 0 && <li className="empty">No targets configured.</li>}
      </ul>
    </section>
  );
}
