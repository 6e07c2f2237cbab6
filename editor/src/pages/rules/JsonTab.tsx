import type { RuleSetFile } from '@loopgate/contracts';
import { useState } from 'react';
import { parseRuleSetJson } from './draft';
import { ErrorText } from '../../components/Notice';

interface JsonTabProps {
  content: RuleSetFile;
  readOnly: boolean;
  unfinished: string[];
  onApply: (content: RuleSetFile) => void;
}

/** The rule set file exactly as it is saved: plain json-rules-engine rules, editable as text. */
export function JsonTab({ content, readOnly, unfinished, onApply }: JsonTabProps) {
  const pretty = JSON.stringify(content, null, 2);
  const [text, setText] = useState(pretty);
  const [shown, setShown] = useState(pretty);
  const [error, setError] = useState<string>();
  // A new file replaces the text in the same render (an effect would first show the older file for one commit).
  if (shown !== pretty) {
    setShown(pretty);
    setText(pretty);
  }
  const apply = () => {
    const parsed = parseRuleSetJson(text);
    if (!parsed.ok) return setError(parsed.message);
    if (parsed.value.id !== content.id)
      return setError(`The id must stay ${content.id}; create a new rule set for another id.`);
    setError(undefined);
    onApply(parsed.value);
  };
  return (
    <div className="json-tab">
      <p className="muted small">
        This is the rule set file as saved in <code>rules/</code> and evaluated by json-rules-engine. Node positions are
        kept beside it, not in it.
      </p>
      {unfinished.length > 0 && (
        <p className="notice notice-warn">
          The graph of {unfinished.join(', ')} is not a complete rule yet; the JSON shows its last complete state.
        </p>
      )}
      <label htmlFor="ruleset-json" className="sr-only">
        Rule set JSON
      </label>
      <textarea
        id="ruleset-json"
        className="json-editor mono"
        spellCheck={false}
        value={text}
        readOnly={readOnly}
        onChange={(e) => setText(e.target.value)}
        aria-invalid={error ? true : undefined}
      />
      <ErrorText error={error} />
      {!readOnly && (
        <div className="form-actions">
          <button type="button" className="button" onClick={() => setText(pretty)} disabled={text === pretty}>
            Undo edits
          </button>
          <button type="button" className="button button-primary" onClick={apply} disabled={text === pretty}>
            Apply JSON to the graph
          </button>
        </div>
      )}
    </div>
  );
}
