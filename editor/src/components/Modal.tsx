import { useEffect, useId, useRef, type ReactNode } from 'react';

interface ModalProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** `alert` for a dialog that asks to confirm something consequential. */
  role?: 'dialog' | 'alertdialog';
  wide?: boolean;
}

/** A modal on the native `<dialog>`: focus is kept inside, Escape closes, the page behind is inert. */
export function Modal({ open, title, onClose, children, role = 'dialog', wide }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // The browser focuses the first focusable element, the × button: the first field is what a person types into.
      const first =
        dialog.querySelector<HTMLElement>('.modal-body [data-autofocus]') ??
        dialog.querySelector<HTMLElement>(
          '.modal-body :is(input, select, textarea):not([disabled]):not([type="hidden"]):not([type="radio"])',
        ) ??
        dialog.querySelector<HTMLElement>('.modal-body button:not([disabled])');
      first?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={wide ? 'modal modal-wide' : 'modal'}
      role={role}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <header className="modal-header">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          <div className="modal-body">{children}</div>
        </>
      )}
    </dialog>
  );
}

/** A dialog's buttons: Cancel first, then the dialog's own actions. */
export function DialogActions({ onCancel, children }: { onCancel: () => void; children: ReactNode }) {
  return (
    <div className="form-actions">
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
      {children}
    </div>
  );
}
