import type { RuleSetFile, RuleSetVersion, ValidationIssue } from '@loopgate/contracts';
import { useEffect, useId, useState } from 'react';
import { ApiError, errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { DialogActions, Modal } from '../../components/Modal';
import { ReplayReport } from './ReplayReport';
import { ErrorText } from '../../components/Notice';

interface SubmitDialogProps {
  open: boolean;
  content: RuleSetFile;
  onIssues: (issues: ValidationIssue[], of: RuleSetFile) => void;
  onSubmitted: (version: RuleSetVersion) => void;
  onClose: () => void;
}

/** Validates the draft, shows what-if replay results, then submits it as a version awaiting a second engineer. */
export function SubmitDialog({ open, content, onIssues, onSubmitted, onClose }: SubmitDialogProps) {
  const [issues, setIssues] = useState<ValidationIssue[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [description, setDescription] = useState('');
  const descriptionId = useId();
  useEffect(() => {
    if (!open) return;
    let live = true;
    setIssues(undefined);
    setError(undefined);
    gateway
      .validate(content.id, content)
      .then((v) => {
        if (!live) return;
        setIssues(v.issues);
        onIssues(v.issues, content);
      })
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.issues.length > 0) {
          setIssues(e.issues);
          onIssues(e.issues, content);
        } else setError(`Validation unavailable: ${errorText(e)}`);
      });
    return () => {
      live = false;
    };
  }, [open, content, onIssues]);

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onSubmitted(await gateway.submitVersion(content.id, content, description.trim()));
      setDescription('');
    } catch (e) {
      if (e instanceof ApiError && e.issues.length > 0) {
        setIssues(e.issues);
        onIssues(e.issues, content);
      }
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open={open} title={`Submit ${content.name} for approval`} onClose={onClose} wide>
      <p>
        The draft becomes a new immutable version of <strong>{content.id}</strong>. It runs in production only after a
        second engineer approves it with an electronic signature.
      </p>
      <div className="field">
        <label htmlFor={descriptionId}>What changes, and why (required)</label>
        <textarea
          id={descriptionId}
          rows={2}
          maxLength={500}
          required
          data-autofocus
          value={description}
          placeholder="Feed reduced by 5 % when spindle load is above 85 % and the tool is worn"
          onChange={(e) => setDescription(e.target.value)}
        />
        <p className="muted small">The reviewer reads this first; it stays with the version in the audit trail.</p>
      </div>
      {issues === undefined && !error && <p className="muted">Validating…</p>}
      {issues && issues.length > 0 && (
        <div className="notice notice-error" role="alert">
          <strong>
            {issues.length} validation issue{issues.length === 1 ? '' : 's'}
          </strong>{' '}
          — they are marked on the nodes. Fix them before submitting.
          <ul>
            {issues.slice(0, 8).map((i, n) => (
              <li key={n}>
                <span className="reason">{i.code}</span> {i.path}: {i.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {issues && issues.length === 0 && (
        <p className="notice notice-ok">✓ The gateway validated the draft: no issues.</p>
      )}
      {open && <ReplayReport ruleSetId={content.id} request={{ content }} />}
      <ErrorText error={error} />
      <DialogActions onCancel={onClose}>
        <button
          type="button"
          className="button button-primary"
          onClick={submit}
          disabled={busy || description.trim() === '' || (issues !== undefined && issues.length > 0)}
          title={description.trim() === '' ? 'Describe the change first' : undefined}
        >
          {busy ? 'Submitting…' : 'Submit for approval'}
        </button>
      </DialogActions>
    </Modal>
  );
}
