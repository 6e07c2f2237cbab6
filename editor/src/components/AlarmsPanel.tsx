import type { RefusalAlarm } from '@loopgate/contracts';
import { useState } from 'react';
import { answer, errorText, loopgate } from '../api/client';
import { useResource } from '../api/hooks';
import { can, getSession } from '../api/session';
import { Modal } from './Modal';
import { reasonWords } from './reason-words';
import { Notice, Time } from './Notice';

const loadAlarms = (signal: AbortSignal) =>
  answer(loopgate.GET('/alarms', { params: { query: { shelved: 'true' } }, signal }));

type Action = { alarm: RefusalAlarm; kind: 'acknowledge' | 'shelve' };

/**
 * Refusal alarms: a model that keeps asking for what the guardrails refuse shows here once per key
 * and reason, with how often and since when, not as a row per request. Operators acknowledge or
 * shelve them with a reason; both are audited.
 */
export function AlarmsPanel() {
  const alarms = useResource(loadAlarms, { refreshMs: 5000 });
  const user = getSession()?.user;
  const mayAct = can(user, 'control');
  const [action, setAction] = useState<Action>();
  const list = alarms.data?.alarms ?? [];
  const open = list.filter((a) => !a.shelved);
  const shelved = list.filter((a) => a.shelved);
  return (
    <section className="panel alarms" aria-labelledby="alarms-heading">
      <header className="panel-header">
        <h2 id="alarms-heading">
          Refusal alarms {open.length > 0 && <span className="badge tone-bad">{open.length} open</span>}
        </h2>
        <span className="muted small">
          one per target key and reason, until the key takes a write
          {shelved.length > 0 && ` · ${shelved.length} shelved`}
        </span>
      </header>
      {alarms.error && <Notice tone="error">Could not load alarms: {alarms.error}</Notice>}
      {open.length === 0 && !alarms.loading && !alarms.error ? (
        <p className="muted small">No open alarms: every refused write-back has been followed by one the key took.</p>
      ) : (
        <ul className="alarm-list">
          {open.map((a) => (
            <li key={a.id} className={`alarm-row${a.acknowledged ? ' alarm-acknowledged' : ''}`} data-alarm={a.id}>
              <div className="alarm-what">
                <div>
                  <strong>
                    {a.parameter ?? a.object.id}: {reasonWords(a.reasonCode)}
                  </strong>{' '}
                  <span className="badge tone-bad" title="refusals in this alarm">
                    ×{a.count}
                  </span>
                </div>
                <div className="small wrap-anywhere">{a.message}</div>
                <div className="muted small">
                  {a.target.instance} · {a.object.id} · since <Time iso={a.firstAt} />, last <Time iso={a.lastAt} /> ·{' '}
                  <span className="mono">{a.reasonCode}</span>
                </div>
                {a.acknowledged && (
                  <div className="muted small">
                    Acknowledged by {a.acknowledged.by} (<Time iso={a.acknowledged.at} />
                    ): {a.acknowledged.reason}
                  </div>
                )}
              </div>
              {mayAct && (
                <div className="alarm-actions">
                  {!a.acknowledged && (
                    <button
                      type="button"
                      className="button button-small"
                      onClick={() => setAction({ alarm: a, kind: 'acknowledge' })}
                    >
                      Acknowledge…
                    </button>
                  )}
                  <button
                    type="button"
                    className="button button-small button-ghost"
                    onClick={() => setAction({ alarm: a, kind: 'shelve' })}
                  >
                    Shelve…
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <AlarmDialog
        action={action}
        onClose={() => setAction(undefined)}
        onDone={() => {
          setAction(undefined);
          alarms.reload();
        }}
      />
    </section>
  );
}

function AlarmDialog({ action, onClose, onDone }: { action?: Action; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState(60);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const shelve = action?.kind === 'shelve';
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!action) return;
    setBusy(true);
    setError(undefined);
    try {
      const alarmId = action.alarm.id;
      await answer(
        shelve
          ? loopgate.POST('/alarms/{alarmId}/shelve', { params: { path: { alarmId } }, body: { reason, minutes } })
          : loopgate.POST('/alarms/{alarmId}/acknowledge', { params: { path: { alarmId } }, body: { reason } }),
      );
      setReason('');
      onDone();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={!!action} title={shelve ? 'Shelve alarm' : 'Acknowledge alarm'} onClose={onClose}>
      {action && (
        <form onSubmit={submit} className="form">
          <p className="small">
            {action.alarm.parameter ?? action.alarm.object.id} on {action.alarm.target.instance}: {action.alarm.count}{' '}
            refusals ({action.alarm.reasonCode}).{' '}
            {shelve
              ? 'It is hidden for the time you choose and listed again if still open.'
              : 'It stays open and keeps counting until the key takes a write.'}
          </p>
          <label htmlFor="alarm-reason">Reason (recorded in the audit trail)</label>
          <textarea id="alarm-reason" value={reason} onChange={(e) => setReason(e.target.value)} rows={3} required />
          {shelve && (
            <>
              <label htmlFor="alarm-minutes">For how long</label>
              <select id="alarm-minutes" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
                <option value={30}>30 minutes</option>
                <option value={60}>1 hour</option>
                <option value={240}>4 hours</option>
                <option value={720}>the rest of the shift (12 hours)</option>
              </select>
            </>
          )}
          {error && <Notice tone="error">{error}</Notice>}
          <div className="form-actions">
            <button type="button" className="button button-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={busy || reason.trim() === ''}>
              {shelve ? 'Shelve' : 'Acknowledge'}
            </button>
          </div>
          {reason.trim() === '' && <p className="muted small">A reason is required.</p>}
        </form>
      )}
    </Modal>
  );
}
