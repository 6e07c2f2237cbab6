import type { SignatureRequest } from '@loopgate/contracts';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { errorText } from '../api/client';
import { getSession } from '../api/session';
import { DialogActions, Modal } from './Modal';
import { ErrorText } from './Notice';

interface SignatureDialogProps {
  open: boolean;
  title: string;
  /** What is being signed, shown above the form. */
  children: ReactNode;
  defaultMeaning?: SignatureRequest['meaning'];
  onSign: (signature: SignatureRequest) => Promise<void>;
  onClose: () => void;
}

/**
 * An electronic signature in the 21 CFR Part 11 manner: the signer enters their password again
 * and chooses what the signature means; the gateway binds name, time and meaning to the record.
 */
export function SignatureDialog({
  open,
  title,
  children,
  defaultMeaning = 'approved',
  onSign,
  onClose,
}: SignatureDialogProps) {
  const [password, setPassword] = useState('');
  const [meaning, setMeaning] = useState<SignatureRequest['meaning']>(defaultMeaning);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const id = useId();
  const user = getSession()?.user;

  const close = () => {
    setPassword('');
    setComment('');
    setError(undefined);
    setMeaning(defaultMeaning);
    onClose();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onSign({ password, meaning, ...(comment.trim() ? { comment: comment.trim() } : {}) });
      close();
    } catch (e) {
      setError(errorText(e));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open={open} title={title} onClose={close} role="alertdialog">
      <div className="signature-subject">{children}</div>
      <form className="form" onSubmit={submit}>
        <p className="muted">
          Signing as <strong>{user?.displayName ?? user?.username}</strong> ({user?.username}). Your name, the time and
          the meaning are bound to this record.
        </p>
        <fieldset className="meaning">
          <legend>Meaning of this signature</legend>
          <label className="radio">
            <input
              type="radio"
              name={`${id}-meaning`}
              value="approved"
              checked={meaning === 'approved'}
              onChange={() => setMeaning('approved')}
            />
            Approved
          </label>
          <label className="radio">
            <input
              type="radio"
              name={`${id}-meaning`}
              value="rejected"
              checked={meaning === 'rejected'}
              onChange={() => setMeaning('rejected')}
            />
            Rejected
          </label>
        </fieldset>
        <label htmlFor={`${id}-password`}>Password (re-enter to sign)</label>
        <input
          id={`${id}-password`}
          type="password"
          data-autofocus
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <label htmlFor={`${id}-comment`}>Comment (optional)</label>
        <textarea id={`${id}-comment`} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
        <ErrorText error={error} />
        <DialogActions onCancel={close}>
          <button
            type="submit"
            className={meaning === 'approved' ? 'button button-primary' : 'button button-danger'}
            disabled={busy || !password}
          >
            {busy ? 'Signing…' : meaning === 'approved' ? 'Sign and approve' : 'Sign and reject'}
          </button>
        </DialogActions>
      </form>
    </Modal>
  );
}
