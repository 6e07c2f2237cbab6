import type { WriteBackOutcome } from '@loopgate/contracts';
import { useState, type FormEvent } from 'react';
import { errorText } from '../../api/client';
import { DialogActions, Modal } from '../../components/Modal';
import { ErrorText, formatValue } from '../../components/Notice';

interface RevertDialogProps {
  outcome: WriteBackOutcome | undefined;
  onRevert: (outcome: WriteBackOutcome, reason: string) => Promise<void>;
  onClose: () => void;
}

/** One action that writes the prior value back through the same ordered, audited path. */
export function RevertDialog({ outcome, onRevert, onClose }: RevertDialogProps) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
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
      await onRevert(outcome, reason.trim());
      close();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={outcome !== undefined} title="Revert this change" onClose={close} role="alertdialog">
      {outcome && (
        <form className="form" onSubmit={submit}>
          <p>
            <strong>{outcome.parameter ?? outcome.action}</strong> on <strong>{outcome.object.id}</strong> at{' '}
            <strong>{outcome.target.instance}</strong> goes back from{' '}
            <span className="new">{formatValue(outcome.newValue)}</span> to{' '}
            <span className="prior">{formatValue(outcome.priorValue)}</span>.
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
          <ErrorText error={error} />
          <DialogActions onCancel={close}>
            <button type="submit" className="button button-warn" disabled={busy || reason.trim().length < 3}>
              {busy ? 'Reverting…' : 'Revert now'}
            </button>
          </DialogActions>
        </form>
      )}
    </Modal>
  );
}
