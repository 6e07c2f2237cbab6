import type { EvaluationResult, FactDefinition, RuleSetFile } from '@loopgate/contracts';
import { LOOPGATE_RULE_OPTIONS, compileRuleSet, parseRuleSetFile } from '@loopgate/rules/core';
import { useId, useState, type FormEvent } from 'react';
import { ErrorText, formatValue } from '../../components/Notice';

interface TestRunPanelProps {
  /** The draft exactly as the editor holds it now: what the canvas shows is what is tested. */
  content: RuleSetFile;
  ruleName: string | undefined;
  /** Sample values as typed, kept by the workspace so switching side tabs does not lose them. */
  values: Record<string, string>;
  onValues: (values: Record<string, string>) => void;
  /** The result and the content it was computed from, so the canvas never colours other content with it. */
  onResult: (result: { of: RuleSetFile; result: EvaluationResult } | undefined) => void;
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

/**
 * Evaluates sample facts against the draft on the canvas, in the browser, with the same compiled
 * evaluator the gateway and the rule node use; derived facts are computed first and shown.
 */
export function TestRunPanel({ content, ruleName, values, onValues, onResult }: TestRunPanelProps) {
  const id = useId();
  const [result, setResult] = useState<{ of: RuleSetFile; result: EvaluationResult }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const facts = content.facts;

  const run = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const of = content;
    try {
      const parsed = parseRuleSetFile(of);
      if (!parsed.success) {
        const first = parsed.issues[0];
        throw new Error(`The draft is not complete yet: ${first.path} ${first.message}`);
      }
      const input: Record<string, unknown> = {};
      for (const fact of facts) {
        const value = parseFact(fact, values[fact.name] ?? initialText(fact));
        if (value !== undefined) input[fact.name] = value;
      }
      const evaluation = await compileRuleSet(parsed.value, LOOPGATE_RULE_OPTIONS).evaluateAsync(input);
      setResult({ of, result: evaluation });
      onResult({ of, result: evaluation });
    } catch (e) {
      setError((e as Error).message);
      setResult(undefined);
      onResult(undefined);
    } finally {
      setBusy(false);
    }
  };

  // A result of earlier content is not shown as if it were this draft's.
  const current = result && result.of === content ? result.result : undefined;
  const ruleResult = current?.results.find((r) => r.name === ruleName);
  const derived = content.derivedFacts ?? [];
  return (
    <form className="form test-run" onSubmit={run} aria-label="Test run">
      <p className="muted small">
        Enter sample facts and run them through the draft as it is on the canvas. Conditions turn green (passed) or red
        (failed).
      </p>
      {facts.map((fact) => {
        const fieldId = `${id}-${fact.name}`;
        const text = values[fact.name] ?? initialText(fact);
        const set = (v: string) => onValues({ ...values, [fact.name]: v });
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
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Running…' : 'Run test'}
        </button>
        {current && (
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
      {result && !current && (
        <p className="muted small" role="status">
          The draft changed since the last run: run the test again.
        </p>
      )}
      {current && (
        <div className="test-result" role="status" data-testid="test-result">
          {derived.length > 0 && (
            <>
              <h4>Derived facts</h4>
              <ul className="event-list">
                {derived.map((d) => (
                  <li key={d.name} className="small">
                    <span className="mono">{d.name}</span> ={' '}
                    <strong>{formatValue(current.derivedFacts?.[d.name])}</strong>
                    {d.unit ? ` ${d.unit}` : ''}
                  </li>
                ))}
              </ul>
            </>
          )}
          {ruleResult ? (
            <p className={ruleResult.result ? 'result-pass' : 'result-fail'}>
              Rule <strong>{ruleResult.name}</strong> {ruleResult.result ? 'fires' : 'does not fire'}.
            </p>
          ) : (
            <p className="muted">This rule is not complete in the draft yet.</p>
          )}
          <h4>Events fired ({current.events.length})</h4>
          <ul className="event-list">
            {current.events.map((e, i) => (
              <li key={i} className="mono small">
                {e.type} {formatValue(e.params ?? {})}
              </li>
            ))}
            {current.events.length === 0 && <li className="muted small">none</li>}
          </ul>
        </div>
      )}
    </form>
  );
}
