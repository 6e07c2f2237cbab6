import { FACT_TYPES, type DerivedFact, type FactDefinition, type FactType } from '@loopgate/contracts';
import { useState, type FormEvent } from 'react';
import { ErrorText } from '../../components/Notice';
import { DerivedFactsSection } from './DerivedFactsSection';

interface FactsTabProps {
  facts: FactDefinition[];
  derivedFacts: DerivedFact[];
  readOnly: boolean;
  onChange: (facts: FactDefinition[]) => void;
  onDerivedChange: (derived: DerivedFact[]) => void;
}

/** The facts the rules read: name, type (which decides the operators offered), unit and source. */
export function FactsTab({ facts, derivedFacts, readOnly, onChange, onDerivedChange }: FactsTabProps) {
  const [name, setName] = useState('');
  const [type, setType] = useState<FactType>('number');
  const [unit, setUnit] = useState('');
  const [source, setSource] = useState('');
  const [error, setError] = useState<string>();
  const add = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!/^[A-Za-z_][\w.-]*$/.test(trimmed))
      return setError('A fact name starts with a letter and holds letters, digits, _ . or -.');
    if (facts.some((f) => f.name === trimmed)) return setError(`There is already a fact named ${trimmed}.`);
    onChange([
      ...facts,
      {
        name: trimmed,
        type,
        ...(unit.trim() ? { unit: unit.trim() } : {}),
        ...(source.trim() ? { source: source.trim() } : {}),
      },
    ]);
    setName('');
    setUnit('');
    setSource('');
    setError(undefined);
  };
  return (
    <div className="facts-tab">
      <table className="table">
        <caption className="sr-only">Facts of this rule set</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Unit</th>
            <th scope="col">Source</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {facts.map((f) => (
            <tr key={f.name}>
              <td className="mono">{f.name}</td>
              <td>{f.type}</td>
              <td>{f.unit ?? '—'}</td>
              <td className="mono small">{f.source ?? '—'}</td>
              <td>
                {!readOnly && (
                  <button
                    type="button"
                    className="button button-small button-ghost"
                    onClick={() => onChange(facts.filter((x) => x !== f))}
                    aria-label={`Remove fact ${f.name}`}
                  >
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
          {facts.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                No facts yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {!readOnly && (
        <form className="filters" onSubmit={add} aria-label="Add a fact">
          <div className="filter">
            <label htmlFor="fact-name">Fact name</label>
            <input id="fact-name" value={name} onChange={(e) => setName(e.target.value)} required />
          </div>
          <div className="filter">
            <label htmlFor="fact-type">Type</label>
            <select id="fact-type" value={type} onChange={(e) => setType(e.target.value as FactType)}>
              {FACT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div className="filter">
            <label htmlFor="fact-unit">Unit</label>
            <input id="fact-unit" value={unit} onChange={(e) => setUnit(e.target.value)} />
          </div>
          <div className="filter filter-wide">
            <label htmlFor="fact-source">Source</label>
            <input
              id="fact-source"
              value={source}
              placeholder="opcua:ns=1;s=Spindle.Load"
              onChange={(e) => setSource(e.target.value)}
            />
          </div>
          <div className="filter-buttons">
            <button type="submit" className="button button-primary">
              Add fact
            </button>
          </div>
          <ErrorText error={error} />
        </form>
      )}
      <DerivedFactsSection facts={facts} derived={derivedFacts} readOnly={readOnly} onChange={onDerivedChange} />
    </div>
  );
}
