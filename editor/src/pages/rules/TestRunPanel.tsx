import type { EvaluationResult, FactDefinition, RuleSetVersion } from '@loopgate/contracts';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { ErrorText, formatValue } from '../../components/Notice';

interface TestRunPanelProps {
  ruleSetId: string;
  facts: FactDefinition[];
  versions: RuleSetVersion[];
  ruleName: string | undefined;
  /** Whether the editor holds changes that the chosen version does not have. */
  draftDiffers: (version: number) => boolean;
  onResult: (result: EvaluationResult | undefined) => void;
}

function initialText(fact: FactDefinition): string {
  return { number: '0', string: '', boolean: 'false', array: '[]', object: '{}' }[fact.type];
}

function parseFact(fact: FactDefinition, text: string): unknown {
  if (fact.type === 'number') return text.trim() === '' ? undefined : Number(text);
  if (fact.type === 'string') return text;
  if (fact.type === 'boolean') return text === 'true';
  return text.trim() === '' ? undefined : JSON.parse(text);
}

/** Evaluates sample facts against a stored version; the graph colours what passed and failed. */
export function TestRunPanel({ ruleSetId, facts, versions, ruleName, draftDiffers, onResult }: TestRunPanelProps) {
  const id = useId();
  const latest = versions.length > 0 ? Math.max(...versions.map((v) => v.version)) : undefined;
  const [version, setVersion] = useState<number | undefined>(latest);
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<EvaluationResult>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setVersion(latest), [latest]);

  const run = async (event: FormEvent) => {
    event.preventDefault();
    if (version === undefined) return;
    setBusy(true);
    setError(undefined);
    try {
      const input: Record<string, unknown> = {};
      for (const fact of facts) {
        const value = parseFact(fact, values[fact.name] ?? initialText(fact));
        if (value !== undefined) input[fact.name] = value;
      }
      const evaluation = await gateway.evaluate(ruleSetId, version, input);
      setResult(evaluation);
      onResult(evaluation);
    } catch (e) {
      setError(errorText(e));
      setResult(undefined);
      onResult(undefined);
    } finally {
      setBusy(false);
    }
  };

  const ruleResult = result?.results.find((r) => r.name === ruleName);
  return (
    <form className="form test-run" onSubmit={run} aria-label="Test run">
      <p className="muted small">
        Enter sample facts and run them through a stored version. Conditions turn green (passed) or red (failed) on the
        canvas.
      </p>
      {versions.length === 0 ? (
        <p className="notice notice-warn">
          Test runs evaluate a stored version: submit the draft first, then test it before it is approved.
        </p>
      ) : (
        <div className="field">
          <label htmlFor={`${id}-version`}>Version</label>
          <select id={`${id}-version`} value={version ?? ''} onChange={(e) => setVersion(Number(e.target.value))}>
            {[...versions]
              .sort((a, b) => b.version - a.version)
              .map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version} · {v.status}
                </option>
              ))}
          </select>
          {version !== undefined && draftDiffers(version) && (
            <p className="muted small">
              The editor has changes not in v{version}; the run uses v{version}.
            </p>
          )}
        </div>
      )}
      {facts.map((fact) => {
        const fieldId = `${id}-${fact.name}`;
        const text = values[fact.name] ?? initialText(fact);
        const set = (v: string) => setValues((all) => ({ ...all, [fact.name]: v }));
        return (
          <div className="field" key={fact.name}>
            <label htmlFor={fieldId}>
              {fact.name}{' '}
              <span className="muted small">
                ({fact.type}
                {fact.unit ? `, ${fact.unit}` : ''})
              </span>
            </label>
            {fact.type === 'boolean' ? (
              <select id={fieldId} value={text} onChange={(e) => set(e.target.value)}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input
                id={fieldId}
                className={fact.type === 'array' || fact.type === 'object' ? 'mono' : undefined}
                type={fact.type === 'number' ? 'number' : 'text'}
                step="any"
                value={text}
                onChange={(e) => set(e.target.value)}
              />
            )}
          </div>
        );
      })}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy || version === undefined}>
          {busy ? 'Running…' : 'Run test'}
        </button>
        {result && (
          <button
            type="button"
            className="button button-ghost"
            onClick={() => {
              setResult(undefined);
              onResult(undefined);
            }}
          >
            Clear colours
          </button>
        )}
      </div>
      <ErrorText error={error} />
      {result && (
        <div className="test-result" role="status" data-testid="test-result">
          {ruleResult ? (
            <p className={ruleResult.result ? 'result-pass' : 'result-fail'}>
              Rule <strong>{ruleResult.name}</strong> {ruleResult.result ? 'fires' : 'does not fire'}.
            </p>
          ) : (
            <p className="muted">This rule is not in v{version}.</p>
          )}
          <h4>Events fired ({result.events.length})</h4>
          <ul className="event-list">
            {result.events.map((e, i) => (
              <li key={i} className="mono small">
                {e.type} {formatValue(e.params ?? {})}
              </li>
            ))}
            {result.events.length === 0 && <li className="muted small">none</li>}
          </ul>
        </div>
      )}
    </form>
  );
}
