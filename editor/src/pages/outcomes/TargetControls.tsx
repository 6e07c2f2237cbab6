import type { TargetStatus } from '@loopgate/contracts';
import { useState } from 'react';
import { errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { ErrorText } from '../../components/Notice';
import { ReasonDialog, type ReasonRequest } from '../../components/ReasonDialog';

interface TargetControlsProps {
  targets: TargetStatus[];
  mayControl: boolean;
  onChanged: () => void;
}

/** Pause and resume dispatch per target: queued changes wait, in order, while a target is paused. */
export function TargetControls({ targets, mayControl, onChanged }: TargetControlsProps) {
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [asking, setAsking] = useState<ReasonRequest>();
  const toggle = async (t: TargetStatus, reason: string) => {
    setBusy(t.instance);
    setError(undefined);
    try {
      await (t.paused ? gateway.resumeTarget(t.instance, reason) : gateway.pauseTarget(t.instance, reason));
      onChanged();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(undefined);
    }
  };
  // A pause or resume acts on the plant: it asks why first, and the reason is audited.
  const ask = (t: TargetStatus) =>
    setAsking({
      title: `${t.paused ? 'Resume' : 'Pause'} ${t.instance}`,
      explanation: t.paused
        ? `Queued write-backs to ${t.instance} are sent again, in their order.`
        : `No write-back reaches ${t.instance} until it is resumed; requests are still judged and queued in order.`,
      action: `${t.paused ? 'Resume' : 'Pause'} ${t.instance}`,
      run: (reason) => toggle(t, reason),
    });
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
              className={`health-dot ${t.down ? 'down' : !t.healthy ? 'unhealthy' : t.paused ? 'paused' : 'healthy'}`}
              role="img"
              aria-label={t.down ? 'down' : !t.healthy ? 'unhealthy' : t.paused ? 'paused' : 'healthy'}
            />
            <span className="target-name">
              {t.instance}
              <span className="muted small"> · {t.kind}</span>
            </span>
            {t.shadow && <span className="badge tone-shadow">Shadow</span>}
            {t.down && <span className="badge tone-bad">Down</span>}
            {t.paused && <span className="badge tone-pending">Paused</span>}
            {mayControl && (
              <button
                type="button"
                className={t.paused ? 'button button-small button-primary' : 'button button-small'}
                disabled={busy === t.instance}
                onClick={() => ask(t)}
                aria-label={`${t.paused ? 'Resume' : 'Pause'} ${t.instance}`}
              >
                {t.paused ? 'Resume' : 'Pause'}
              </button>
            )}
          </li>
        ))}
        {targets.length === 0 && <li className="empty">No targets configured.</li>}
      </ul>
      <ReasonDialog request={asking} onClose={() => setAsking(undefined)} />
    </section>
  );
}
