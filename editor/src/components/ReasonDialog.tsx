import { useState, type FormEvent, type ReactNode } from 'react';
import { errorText } from '../api/client';
import { DialogActions, Modal } from './Modal';
import { ErrorText } from './Notice';

export interface ReasonRequest {
  title: string;
  /** What will happen, in a sentence or two. */
  explanation: ReactNode;
  action: string;
  /** Runs the change with the typed reason; an error stays in the dialog. */
  run: (reason: string) => Promise<void>;
}

/** A change that takes effect on the plant, confirmed with a reason that goes into the audit trail. */
export function ReasonDialog({ request, onClose }: { request: ReasonRequest | undefined; onClose: () => void }) {
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
    if (!request) return;
    setBusy(true);
    setError(undefined);
    try {
      await request.run(reason.trim());
      close();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const ready = reason.trim().length >= 3;
  return (
    <Modal open={request !== undefined} title={request?.title ?? ''} onClose={close} role="alertdialog">
      {request && (
        <form className="form" onSubmit={submit}>
          <p>{request.explanation}</p>
          <label htmlFor="control-reason">Reason (recorded in the audit trail)</label>
          <textarea
            id="control-reason"
            rows={3}
            required
            minLength={3}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          {!ready && <p className="muted small">Type a reason (3 characters or more) to go on.</p>}
          <ErrorText error={error} />
          <DialogActions onCancel={close}>
            <button type="submit" className="button button-warn" disabled={busy || !ready}>
              {request.action}
            </button>
          </DialogActions>
        </form>
      )}
    </Modal>
  );
}
