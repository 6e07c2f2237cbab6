import { useEffect, useId, useState } from 'react';

interface JsonFieldProps {
  label: string;
  value: unknown;
  /** Called with the parsed value, or undefined when the field is emptied (and `optional`). */
  onCommit: (value: unknown) => void;
  optional?: boolean;
  rows?: number;
  hint?: string;
}

/** A textarea holding JSON: parsed and committed when it leaves focus, with the parse error shown in place. */
export function JsonField({ label, value, onCommit, optional, rows = 3, hint }: JsonFieldProps) {
  const id = useId();
  const shown = value === undefined ? '' : JSON.stringify(value, null, 1);
  const [text, setText] = useState(shown);
  const [error, setError] = useState<string>();
  useEffect(() => setText(shown), [shown]);
  const commit = () => {
    if (text.trim() === '') {
      if (optional) {
        setError(undefined);
        onCommit(undefined);
      } else setError('A value is required.');
      return;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      setError(undefined);
      onCommit(parsed);
    } catch (e) {
      setError(`Not valid JSON: ${(e as Error).message}`);
    }
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        className="mono"
        rows={rows}
        value={text}
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-help` : undefined}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
      />
      {(error || hint) && (
        <p id={`${id}-help`} className={error ? 'error-text small' : 'muted small'}>
          {error ?? hint}
        </p>
      )}
    </div>
  );
}
