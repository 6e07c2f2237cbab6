import { DERIVED_FACT_TYPES, type DerivedFact, type DerivedFactType, type FactDefinition } from '@loopgate/contracts';
import { DerivedFacts, checkDerivedExpression, derivedFactReads } from '@loopgate/rules/core';
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { ErrorText, formatValue } from '../../components/Notice';

interface DerivedFactsSectionProps {
  facts: FactDefinition[];
  derived: DerivedFact[];
  readOnly: boolean;
  onChange: (derived: DerivedFact[]) => void;
}

type Preview = { value?: unknown; error?: string };

/** Computes one expression over sample facts, as the rule node will; the answer or the reason it fails. */
function usePreview(expression: string, type: DerivedFactType, known: Set<string>, sample: Record<string, unknown>) {
  const [preview, setPreview] = useState<Preview>({});
  const key = JSON.stringify([expression, type, sample, [...known]]);
  useEffect(() => {
    let current = true;
    const issues = expression.trim() === '' ? [] : checkDerivedExpression(expression, known, '$');
    if (expression.trim() === '') setPreview({});
    else if (issues.length > 0) setPreview({ error: issues.map((i) => i.message).join('; ') });
    else
      new DerivedFacts([{ name: 'preview', type, expression }])
        .derive(sample)
        .then((values) => current && setPreview({ value: values.preview }))
        .catch((e: Error) => current && setPreview({ error: e.message }));
    return () => {
      current = false;
    };
    // The key holds every input; the objects themselves are new on each render.
  }, [key]);
  return preview;
}

/**
 * Facts computed from other facts by a JSONata expression, e.g. "feed rate × 0.95, rounded to
 * 10" as `$round(feedRate * 0.95, -1)`, with a live preview over sample values.
 */
export function DerivedFactsSection({ facts, derived, readOnly, onChange }: DerivedFactsSectionProps) {
  const id = useId();
  const [name, setName] = useState('');
  const [type, setType] = useState<DerivedFactType>('number');
  const [unit, setUnit] = useState('');
  const [expression, setExpression] = useState('');
  const [samples, setSamples] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const known = useMemo(() => new Set([...facts.map((f) => f.name), ...derived.map((d) => d.name)]), [facts, derived]);
  const reads = derivedFactReads(expression).filter((r) => known.has(r));
  const sample = useMemo(() => {
    const out: Record<string, unknown> = {};
    for (const r of reads) {
      const text = samples[r] ?? '';
      if (text.trim() === '') continue;
      const n = Number(text);
      out[r] = Number.isFinite(n) ? n : text;
    }
    return out;
  }, [reads.join(','), samples]);
  const preview = usePreview(expression, type, known, sample);

  const add = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(trimmed))
      return setError('A derived fact is named with letters, digits and _ (no spaces), starting with a letter.');
    if (known.has(trimmed)) return setError(`There is already a fact named ${trimmed}.`);
    const issues = checkDerivedExpression(expression, known, '$');
    if (issues.length > 0) return setError(issues.map((i) => i.message).join('; '));
    onChange([
      ...derived,
      { name: trimmed, type, expression: expression.trim(), ...(unit.trim() ? { unit: unit.trim() } : {}) },
    ]);
    setName('');
    setUnit('');
    setExpression('');
    setError(undefined);
  };

  return (
    <section className="derived-facts" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Derived facts</h2>
      <p className="muted small">
        Computed from the facts above before the rules run, in this order. Conditions and write-backs use them like any
        other fact.
      </p>
      <table className="table">
        <caption className="sr-only">Derived facts of this rule set</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Unit</th>
            <th scope="col">Expression</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {derived.map((d) => (
            <tr key={d.name} data-derived-fact={d.name}>
              <td className="mono">{d.name}</td>
              <td>{d.type}</td>
              <td>{d.unit ?? '—'}</td>
              <td className="mono small">{d.expression}</td>
              <td>
                {!readOnly && (
                  <button
                    type="button"
                    className="button button-small button-ghost"
                    onClick={() => onChange(derived.filter((x) => x !== d))}
                    aria-label={`Remove derived fact ${d.name}`}
                  >
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
          {derived.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                No derived facts yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {!readOnly && (
        <form className="form derived-form" onSubmit={add} aria-label="Add a derived fact">
          <div className="filters">
            <div className="filter">
              <label htmlFor={`${id}-name`}>Derived fact name</label>
              <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required />
            </div>
            <div className="filter">
              <label htmlFor={`${id}-type`}>Result type</label>
              <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value as DerivedFactType)}>
                {DERIVED_FACT_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </div>
            <div className="filter">
              <label htmlFor={`${id}-unit`}>Result unit</label>
              <input id={`${id}-unit`} value={unit} onChange={(e) => setUnit(e.target.value)} />
            </div>
          </div>
          <div className="field">
            <label htmlFor={`${id}-expression`}>Expression (JSONata)</label>
            <input
              id={`${id}-expression`}
              className="mono"
              value={expression}
              placeholder="$round(feedRate * 0.95, -1)"
              onChange={(e) => setExpression(e.target.value)}
              aria-describedby={`${id}-preview`}
              required
            />
            <p className="muted small">
              Arithmetic (+ − × as *, ÷ as /), $round(x, −1) rounds to tens, $floor, $ceil, $min, $max, $abs; facts by
              name.
            </p>
          </div>
          {reads.length > 0 && (
            <div className="filters" role="group" aria-label="Sample values for the preview">
              {reads.map((r) => (
                <div className="filter" key={r}>
                  <label htmlFor={`${id}-sample-${r}`}>Sample {r}</label>
                  <input
                    id={`${id}-sample-${r}`}
                    value={samples[r] ?? ''}
                    onChange={(e) => setSamples((all) => ({ ...all, [r]: e.target.value }))}
                  />
                </div>
              ))}
            </div>
          )}
          <p id={`${id}-preview`} className="derived-preview" role="status" data-testid="derived-preview">
            {preview.error ? (
              <span className="error-text">{preview.error}</span>
            ) : preview.value !== undefined ? (
              <>
                Preview: <strong>{formatValue(preview.value)}</strong>
                {unit ? ` ${unit}` : ''}
              </>
            ) : expression.trim() ? (
              <span className="muted">Enter sample values to preview.</span>
            ) : null}
          </p>
          <div className="form-actions">
            <button type="submit" className="button button-primary">
              Add derived fact
            </button>
          </div>
          <ErrorText error={error} />
        </form>
      )}
    </section>
  );
}
