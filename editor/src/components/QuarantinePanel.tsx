import type { WriteBackOutcome } from '@loopgate/contracts';
import { useState } from 'react';
import { answer, loopgate } from '../api/client';
import { useResource } from '../api/hooks';
import { can, getSession } from '../api/session';
import { Notice, Time, formatValue } from './Notice';
import { ReasonDialog, type ReasonRequest } from './ReasonDialog';

const loadQuarantined = (signal: AbortSignal) =>
  answer(loopgate.GET('/writebacks', { params: { query: { state: 'quarantined', limit: 200 } }, signal }));

/**
 * Write-backs whose outcome the gateway could not establish by itself (sent, then not confirmed
 * however often it read): they hold their key until a person checks the MES and either releases
 * them (read and written again, in order) or says what happened.
 */
export function QuarantinePanel() {
  const quarantined = useResource(loadQuarantined, { refreshMs: 5000 });
  const user = getSession()?.user;
  const mayAct = can(user, 'revert');
  const [asking, setAsking] = useState<ReasonRequest>();
  const list = quarantined.data?.outcomes ?? [];
  const act =
    (o: WriteBackOutcome, action: 'release' | { resolve: 'applied' | 'not-applied' }) => async (reason: string) => {
      const params = { path: { commandId: o.commandId } };
      await answer(
        action === 'release'
          ? loopgate.POST('/writebacks/{commandId}/release', { params, body: { reason } })
          : loopgate.POST('/writebacks/{commandId}/resolve', { params, body: { outcome: action.resolve, reason } }),
      );
      quarantined.reload();
    };
  const what = (o: WriteBackOutcome) => `${o.parameter ?? o.action} on ${o.object.id} at ${o.target.instance}`;
  return (
    <section className="panel quarantine" aria-labelledby="quarantine-heading">
      <header className="panel-header">
        <h2 id="quarantine-heading">
          Quarantined write-backs {list.length > 0 && <span className="badge tone-bad">{list.length}</span>}
        </h2>
        <span className="muted small">sent, never confirmed: a person checks the MES</span>
      </header>
      {quarantined.error && <Notice tone="error">Could not load quarantined write-backs: {quarantined.error}</Notice>}
      {list.length === 0 && !quarantined.loading && !quarantined.error ? (
        <p className="muted small">None: every write-back sent has a known outcome.</p>
      ) : (
        <ul className="alarm-list">
          {list.map((o) => (
            <li key={o.commandId} className="alarm-row" data-quarantined={o.commandId}>
              <div className="alarm-what">
                <strong>{what(o)}</strong>
                <div className="small">
                  Sent <span className="new">{formatValue(o.newValue ?? undefined)}</span>
                  {o.priorValue !== undefined && o.priorValue !== null && (
                    <>
                      {' '}
                      over <span className="prior">{formatValue(o.priorValue)}</span>
                    </>
                  )}
                  ; whether it landed is not known.
                </div>
                {o.message && <div className="small wrap-anywhere">{o.message}</div>}
                <div className="muted small">
                  received <Time iso={o.timings.receivedAt} /> · {o.initiator === 'ai' ? 'AI' : 'person'} ·{' '}
                  <span className="mono">{o.commandId}</span>
                </div>
              </div>
              {mayAct && (
                <div className="alarm-actions">
                  <button
                    type="button"
                    className="button button-small"
                    onClick={() =>
                      setAsking({
                        title: 'Release quarantined write-back',
                        explanation: `${what(o)} goes back into its key's queue: the gateway reads the value at the MES and writes it again only if it is not there.`,
                        action: 'Release',
                        run: act(o, 'release'),
                      })
                    }
                  >
                    Release…
                  </button>
                  <button
                    type="button"
                    className="button button-small button-ghost"
                    onClick={() =>
                      setAsking({
                        title: 'It was applied at the MES',
                        explanation: `You checked the MES: ${what(o)} holds the value sent. The write-back is recorded applied.`,
                        action: 'Record applied',
                        run: act(o, { resolve: 'applied' }),
                      })
                    }
                  >
                    Applied…
                  </button>
                  <button
                    type="button"
                    className="button button-small button-ghost"
                    onClick={() =>
                      setAsking({
                        title: 'It was not applied at the MES',
                        explanation: `You checked the MES: ${what(o)} does not hold the value sent. The write-back is recorded as not applied.`,
                        action: 'Record not applied',
                        run: act(o, { resolve: 'not-applied' }),
                      })
                    }
                  >
                    Not applied…
                  </button>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      <ReasonDialog request={asking} onClose={() => setAsking(undefined)} />
    </section>
  );
}
