import type { AiEpisode, WriteBackOutcome } from '@loopgate/contracts';
import { useEffect, useState, type FormEvent } from 'react';
import { answer, errorText, loopgate } from '../../api/client';
import { DialogActions, Modal } from '../../components/Modal';
import { ErrorText, formatValue, Time } from '../../components/Notice';

interface RevertDialogProps {
  outcome: WriteBackOutcome | undefined;
  onRevert: (outcome: WriteBackOutcome, reason: string) => Promise<void>;
  onClose: () => void;
}

type Scope = 'step' | 'episode';

/** The AI episode of an applied AI parameter write, when it has more than this one step and is still open. */
function useEpisode(outcome: WriteBackOutcome | undefined): AiEpisode | undefined {
  const [episode, setEpisode] = useState<AiEpisode>();
  useEffect(() => {
    setEpisode(undefined);
    // A write without a known prior value cannot be undone to one: the gateway would answer NOT_REVERTIBLE.
    const revertible = outcome?.priorValue !== undefined && outcome.priorValue !== null;
    if (!outcome || outcome.initiator !== 'ai' || outcome.action !== 'set-parameter' || outcome.state !== 'applied')
      return;
    if (!revertible) return;
    const controller = new AbortController();
    answer(
      loopgate.GET('/writebacks/{commandId}/episode', {
        params: { path: { commandId: outcome.commandId } },
        signal: controller.signal,
      }),
    )
      .then((found) => setEpisode(found.open && found.commandIds.length > 1 ? found : undefined))
      .catch(() => undefined);
    return () => controller.abort();
  }, [outcome]);
  return episode;
}

/**
 * One action that writes a value back through the same ordered, audited path: this step's prior
 * value, or, for an AI episode of several steps, the value from before the AI's first write.
 */
export function RevertDialog({ outcome, onRevert, onClose }: RevertDialogProps) {
  const [reason, setReason] = useState('');
  const [scope, setScope] = useState<Scope>('step');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const episode = useEpisode(outcome);
  useEffect(() => setScope(episode ? 'episode' : 'step'), [episode]);
  const close = () => {
    setReason('');
    setError(undefined);
    onClose();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!outcome) return;
    setBusy(true);
    try {
      if (scope === 'episode' && episode) {
        await answer(
          loopgate.POST('/writebacks/{commandId}/revert-episode', {
            params: { path: { commandId: outcome.commandId } },
            body: { reason: reason.trim() },
          }),
        );
      } else {
        await onRevert(outcome, reason.trim());
      }
      close();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const what = outcome && (
    <>
      <strong>{outcome.parameter ?? outcome.action}</strong> on <strong>{outcome.object.id}</strong> at{' '}
      <strong>{outcome.target.instance}</strong>
    </>
  );
  return (
    <Modal open={outcome !== undefined} title="Revert this change" onClose={close} role="alertdialog">
      {outcome && (
        <form className="form" onSubmit={submit}>
          {episode ? (
            <fieldset className="revert-scope">
              <legend>
                {what}: the AI changed it {episode.commandIds.length} times in a row since{' '}
                <Time iso={episode.firstAt} />.
              </legend>
              <label className="radio">
                <input
                  type="radio"
                  name="revert-scope"
                  checked={scope === 'episode'}
                  onChange={() => setScope('episode')}
                />
                <span>
                  Revert the whole AI episode: <span className="new">{formatValue(episode.currentValue)}</span> →{' '}
                  <span className="prior">{formatValue(episode.valueBefore)}</span> (the value before the AI started),
                  in one write
                </span>
              </label>
              <label className="radio">
                <input type="radio" name="revert-scope" checked={scope === 'step'} onChange={() => setScope('step')} />
                <span>
                  Revert only this step: write back <span className="prior">{formatValue(outcome.priorValue)}</span> (it
                  set <span className="new">{formatValue(outcome.newValue)}</span>)
                </span>
              </label>
            </fieldset>
          ) : (
            <p>
              {what} goes back to <span className="prior">{formatValue(outcome.priorValue)}</span>, the value before
              this change set <span className="new">{formatValue(outcome.newValue)}</span>.
            </p>
          )}
          <p className="muted small">
            A revert is judged on interlocks and bounds only, not on step limits: it may make a larger step than the AI
            was allowed.
          </p>
          <label htmlFor="revert-reason">Reason (recorded in the audit trail)</label>
          <textarea
            id="revert-reason"
            rows={3}
            required
            minLength={3}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          {reason.trim().length < 3 && <p className="muted small">Type a reason (3 characters or more) to revert.</p>}
          <ErrorText error={error} />
          <DialogActions onCancel={close}>
            <button type="submit" className="button button-warn" disabled={busy || reason.trim().length < 3}>
              {busy ? 'Reverting…' : scope === 'episode' && episode ? 'Revert the episode' : 'Revert now'}
            </button>
          </DialogActions>
        </form>
      )}
    </Modal>
  );
}
