import type { Condition, FactCondition, FactDefinition, TopLevelCondition } from '@loopgate/contracts';
import { operatorLabel, operatorsFor, valueKind } from '@loopgate/rules/core';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorText } from '../../components/Notice';

interface SharedConditionsTabProps {
  shared: Record<string, TopLevelCondition>;
  facts: FactDefinition[];
  readOnly: boolean;
  onChange: (shared: Record<string, TopLevelCondition>) => void;
}

const GATE_WORDS = { all: 'ALL of', any: 'ANY of', not: 'NOT' } as const;

function ValueInput({
  condition,
  fact,
  label,
  readOnly,
  onCommit,
}: {
  condition: FactCondition;
  fact: FactDefinition | undefined;
  label: string;
  readOnly: boolean;
  onCommit: (value: unknown) => void;
}) {
  const id = useId();
  const kind = valueKind(fact, condition.operator, condition.path);
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const [text, setText] = useState(show(condition.value));
  useEffect(() => setText(show(condition.value)), [condition.value]);
  const commit = () => {
    if (kind === 'number') {
      const n = Number(text);
      if (text.trim() !== '' && Number.isFinite(n)) onCommit(n);
    } else if (kind === 'string') onCommit(text);
    else if (kind === 'boolean') onCommit(text === 'true');
    else {
      try {
        onCommit(JSON.parse(text));
      } catch {
        onCommit(text);
      }
    }
  };
  return (
    <span className="shared-value">
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <input
        id={id}
        type={kind === 'number' ? 'number' : 'text'}
        step="any"
        value={text}
        disabled={readOnly}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </span>
  );
}

/** One condition of a shared condition, as a row: fact, operator and threshold, each a control. */
function ConditionRow({
  condition,
  facts,
  names,
  readOnly,
  describe,
  onChange,
  onRemove,
}: {
  condition: Condition;
  facts: FactDefinition[];
  names: string[];
  readOnly: boolean;
  describe: string;
  onChange: (next: Condition) => void;
  onRemove?: () => void;
}) {
  const id = useId();
  if ('all' in condition || 'any' in condition) {
    const gate = 'all' in condition ? 'all' : 'any';
    const inputs: Condition[] = 'all' in condition ? condition.all : condition.any;
    const setInputs = (next: Condition[]) => onChange({ ...condition, [gate]: next } as Condition);
    return (
      <li className="shared-gate">
        <span className="gate-word">{GATE_WORDS[gate]}</span>
        {!readOnly && onRemove && (
          <button type="button" className="button button-small button-ghost" onClick={onRemove}>
            Remove group
          </button>
        )}
        <ul>
          {inputs.map((c, i) => (
            <ConditionRow
              key={i}
              condition={c}
              facts={facts}
              names={names}
              readOnly={readOnly}
              describe={`${describe}, condition ${i + 1}`}
              onChange={(next) => setInputs(inputs.map((x, j) => (j === i ? next : x)))}
              onRemove={() => setInputs(inputs.filter((_, j) => j !== i))}
            />
          ))}
          {!readOnly && facts.length > 0 && (
            <li>
              <button
                type="button"
                className="button button-small"
                onClick={() => {
                  const fact = facts[0];
                  setInputs([
                    ...inputs,
                    { fact: fact.name, operator: operatorsFor(fact)[0], value: fact.type === 'number' ? 0 : '' },
                  ]);
                }}
              >
                + Condition
              </button>
            </li>
          )}
        </ul>
      </li>
    );
  }
  if ('not' in condition) {
    return (
      <li className="shared-gate">
        <span className="gate-word">NOT</span>
        <ul>
          <ConditionRow
            condition={condition.not}
            facts={facts}
            names={names}
            readOnly={readOnly}
            describe={`${describe}, negated`}
            onChange={(next) => onChange({ ...condition, not: next })}
          />
        </ul>
      </li>
    );
  }
  if ('condition' in condition) {
    return (
      <li className="shared-leaf">
        uses shared condition <strong>{condition.condition}</strong>
      </li>
    );
  }
  const leaf = condition as FactCondition;
  const fact = facts.find((f) => f.name === leaf.fact);
  const operators = operatorsFor(fact, { path: leaf.path, current: leaf.operator });
  return (
    <li className="shared-leaf" data-shared-path={describe}>
      <label htmlFor={`${id}-fact`} className="sr-only">
        {describe}: fact
      </label>
      <select
        id={`${id}-fact`}
        value={leaf.fact}
        disabled={readOnly}
        onChange={(e) => onChange({ ...leaf, fact: e.target.value })}
      >
        {(fact ? facts : [{ name: leaf.fact, type: 'number' as const }, ...facts]).map((f) => (
          <option key={f.name} value={f.name}>
            {f.name}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-op`} className="sr-only">
        {describe}: comparison
      </label>
      <select
        id={`${id}-op`}
        value={leaf.operator}
        disabled={readOnly}
        onChange={(e) => onChange({ ...leaf, operator: e.target.value })}
      >
        {operators.map((o) => (
          <option key={o} value={o}>
            {operatorLabel(o)}
          </option>
        ))}
      </select>
      <ValueInput
        condition={leaf}
        fact={fact}
        label={`${describe}: value`}
        readOnly={readOnly}
        onCommit={(value) => onChange({ ...leaf, value })}
      />
      {fact?.unit && <span className="muted small">{fact.unit}</span>}
      {!readOnly && onRemove && (
        <button
          type="button"
          className="button button-small button-ghost"
          aria-label={`Remove ${describe}`}
          onClick={onRemove}
        >
          Remove
        </button>
      )}
    </li>
  );
}

/** Shared conditions edited like any other: facts, comparisons and thresholds as controls, no JSON. */
export function SharedConditionsTab({ shared, facts, readOnly, onChange }: SharedConditionsTabProps) {
  const id = useId();
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const names = Object.keys(shared);
  const add = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return setError('A shared condition needs a name.');
    if (names.includes(trimmed)) return setError(`There is already a shared condition named ${trimmed}.`);
    onChange({ ...shared, [trimmed]: { all: [] } });
    setName('');
    setError(undefined);
  };
  return (
    <div className="shared-tab">
      <p className="muted small">
        Conditions several rules use by name. A change here changes every rule that uses them.
      </p>
      {names.length === 0 && <p className="empty">No shared conditions yet.</p>}
      {names.map((n) => (
        <section key={n} className="shared-condition" aria-label={`Shared condition ${n}`} data-shared={n}>
          <h2 className="mono">{n}</h2>
          <ul className="shared-tree">
            <ConditionRow
              condition={shared[n]}
              facts={facts}
              names={names}
              readOnly={readOnly}
              describe={n}
              onChange={(next) => onChange({ ...shared, [n]: next as TopLevelCondition })}
            />
          </ul>
          {!readOnly && (
            <button
              type="button"
              className="button button-small button-ghost"
              onClick={() => {
                const { [n]: _gone, ...rest } = shared;
                onChange(rest);
              }}
            >
              Delete shared condition {n}
            </button>
          )}
        </section>
      ))}
      {!readOnly && (
        <form className="filters" onSubmit={add} aria-label="Add a shared condition">
          <div className="filter">
            <label htmlFor={`${id}-name`}>Shared condition name</label>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="filter-buttons">
            <button type="submit" className="button">
              Add shared condition
            </button>
          </div>
          <ErrorText error={error} />
        </form>
      )}
    </div>
  );
}
