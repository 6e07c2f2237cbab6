import { TARGET_CATALOGUE, type FactDefinition, type TargetKind } from '@loopgate/contracts';
import { operatorsFor, valueKind } from '@loopgate/rules/core';
import { useEffect, useId, useState } from 'react';
import {
  withField,
  type EventNodeData,
  type FactNodeData,
  type GateKind,
  type GateNodeData,
  type ReferenceNodeData,
  type RuleGraph,
  type RuleGraphNode,
} from '../../graph';
import { JsonField } from './JsonField';

interface InspectorProps {
  node: RuleGraphNode | undefined;
  graph: RuleGraph;
  facts: FactDefinition[];
  sharedConditions: string[];
  readOnly: boolean;
  onData: (id: string, data: RuleGraphNode['data']) => void;
  onOutput: (id: string, target: string | undefined) => void;
  onMove: (id: string, direction: -1 | 1) => void;
  onDelete: (id: string) => void;
}

/** Edits the selected node's fields; also connects it by keyboard ("Feeds into") and orders a gate's inputs. */
export function Inspector({
  node,
  graph,
  facts,
  sharedConditions,
  readOnly,
  onData,
  onOutput,
  onMove,
  onDelete,
}: InspectorProps) {
  if (!node) {
    return (
      <div className="inspector-empty">
        <h3>Build a rule</h3>
        <ol className="help-list">
          <li>
            Add an <strong>ALL</strong> or <strong>ANY</strong> gate from the palette and connect its right handle to
            the event.
          </li>
          <li>Drag facts onto the canvas (or press Enter on one) and connect each into the gate.</li>
          <li>Select a node to edit it here. Keyboard: Tab to a node, Enter selects, arrows move, Delete removes.</li>
        </ol>
      </div>
    );
  }
  const set = (key: string, value: unknown) =>
    onData(node.id, withField(node.data as Record<string, unknown>, key, value) as RuleGraphNode['data']);
  return (
    <form className="inspector form" aria-label="Selected node" onSubmit={(e) => e.preventDefault()}>
      <fieldset disabled={readOnly}>
        <legend className="inspector-title">{TITLES[node.type]}</legend>
        {node.type === 'fact' && <FactFields data={node.data} facts={facts} set={set} />}
        {node.type === 'gate' && <GateFields data={node.data} set={set} />}
        {node.type === 'ref' && <RefFields data={node.data} names={sharedConditions} set={set} />}
        {node.type === 'event' && <EventFields data={node.data} facts={facts} onData={(d) => onData(node.id, d)} />}
        {node.type !== 'event' && <Common data={node.data} set={set} />}
        {node.type !== 'event' && <Connection node={node} graph={graph} onOutput={onOutput} onMove={onMove} />}
        {node.type !== 'event' && (
          <button type="button" className="button button-danger button-small" onClick={() => onDelete(node.id)}>
            Delete node
          </button>
        )}
      </fieldset>
    </form>
  );
}

const TITLES = {
  fact: 'Fact condition',
  gate: 'Gate',
  ref: 'Shared condition reference',
  event: 'Event and rule',
} as const;

type Setter = (key: string, value: unknown) => void;

function Text({
  label,
  value,
  onCommit,
  placeholder,
  required,
}: {
  label: string;
  value: string | undefined;
  onCommit: (v: string | undefined) => void;
  placeholder?: string;
  required?: boolean;
}) {
  const id = useId();
  const [text, setText] = useState(value ?? '');
  useEffect(() => setText(value ?? ''), [value]);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={text}
        placeholder={placeholder}
        required={required}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => onCommit(text === '' && !required ? undefined : text)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onCommit(text === '' && !required ? undefined : text);
        }}
      />
    </div>
  );
}

function NumberInput({
  label,
  value,
  onCommit,
  optional,
}: {
  label: string;
  value: number | undefined;
  onCommit: (v: number | undefined) => void;
  optional?: boolean;
}) {
  const id = useId();
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => setText(value === undefined ? '' : String(value)), [value]);
  const commit = () => {
    if (text.trim() === '') return onCommit(optional ? undefined : 0);
    const n = Number(text);
    if (Number.isFinite(n)) onCommit(n);
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        step="any"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </div>
  );
}

function Select({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (v: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function isFactReference(value: unknown): value is { fact: string; path?: string } {
  return (
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { fact?: unknown }).fact === 'string'
  );
}

function FactFields({ data, facts, set }: { data: FactNodeData; facts: FactDefinition[]; set: Setter }) {
  const fact = facts.find((f) => f.name === data.fact);
  const operators = operatorsFor(fact, { path: data.path, current: data.operator });
  const kind = valueKind(fact, data.operator, data.path);
  const comparesFact = isFactReference(data.value);
  const factOptions = facts.map((f) => ({
    value: f.name,
    label: `${f.name} (${f.type}${f.unit ? `, ${f.unit}` : ''})`,
  }));
  if (!fact) factOptions.unshift({ value: data.fact, label: `${data.fact} (not in fact list)` });
  return (
    <>
      <Select label="Fact" value={data.fact} options={factOptions} onChange={(v) => set('fact', v)} />
      <Text
        label="Path inside the fact (optional)"
        value={data.path}
        placeholder="$.load"
        onCommit={(v) => set('path', v)}
      />
      <Select
        label="Operator"
        value={data.operator}
        options={operators.map((o) => ({ value: o, label: o }))}
        onChange={(v) => set('operator', v)}
      />
      <Select
        label="Compare with"
        value={comparesFact ? 'fact' : 'value'}
        options={[
          { value: 'value', label: 'a value' },
          { value: 'fact', label: 'another fact' },
        ]}
        onChange={(v) =>
          set('value', v === 'fact' ? { fact: facts.find((f) => f.name !== data.fact)?.name ?? data.fact } : 0)
        }
      />
      {comparesFact ? (
        <Select
          label="Other fact"
          value={(data.value as { fact: string }).fact}
          options={facts.map((f) => ({ value: f.name, label: f.name }))}
          onChange={(v) => set('value', { ...(data.value as object), fact: v })}
        />
      ) : kind === 'number' && (typeof data.value === 'number' || data.value === undefined) ? (
        <NumberInput label="Value" value={data.value as number | undefined} onCommit={(v) => set('value', v ?? 0)} />
      ) : kind === 'string' && typeof data.value === 'string' ? (
        <Text label="Value" value={data.value} required onCommit={(v) => set('value', v ?? '')} />
      ) : kind === 'boolean' && typeof data.value === 'boolean' ? (
        <Select
          label="Value"
          value={String(data.value)}
          options={[
            { value: 'true', label: 'true' },
            { value: 'false', label: 'false' },
          ]}
          onChange={(v) => set('value', v === 'true')}
        />
      ) : (
        <JsonField
          label="Value (JSON)"
          value={data.value}
          onCommit={(v) => set('value', v)}
          hint={kind === 'array' ? 'A list, e.g. ["A", "B"] or [1, 2].' : 'Any JSON value.'}
        />
      )}
      <JsonField
        label="Params (optional, JSON object)"
        value={data.params}
        optional
        rows={2}
        onCommit={(v) => set('params', v)}
      />
    </>
  );
}

function GateFields({ data, set }: { data: GateNodeData; set: Setter }) {
  return (
    <Select
      label="Gate"
      value={data.gate}
      options={[
        { value: 'all', label: 'ALL — every input true' },
        { value: 'any', label: 'ANY — at least one input true' },
        { value: 'not', label: 'NOT — its one input false' },
      ]}
      onChange={(v) => set('gate', v as GateKind)}
    />
  );
}

function RefFields({ data, names, set }: { data: ReferenceNodeData; names: string[]; set: Setter }) {
  const options = names.includes(data.condition) ? names : [data.condition, ...names];
  return (
    <Select
      label="Shared condition"
      value={data.condition}
      options={options.map((n) => ({ value: n, label: n || '(choose)' }))}
      onChange={(v) => set('condition', v)}
    />
  );
}

function Common({ data, set }: { data: { priority?: number; name?: string }; set: Setter }) {
  return (
    <details className="more">
      <summary>Priority and name</summary>
      <NumberInput label="Priority (optional)" value={data.priority} optional onCommit={(v) => set('priority', v)} />
      <Text label="Name (optional)" value={data.name} onCommit={(v) => set('name', v)} />
    </details>
  );
}

/** Where an event field's value comes from: a fact (or derived fact) at evaluation, or a fixed value. */
function ParamSource({
  label,
  value,
  facts,
  kind,
  required,
  onCommit,
}: {
  label: string;
  value: unknown;
  facts: FactDefinition[];
  kind: 'number' | 'text' | 'any';
  required?: boolean;
  onCommit: (v: unknown) => void;
}) {
  const id = useId();
  const fromFact = isFactReference(value);
  const fitting = facts.filter((f) =>
    kind === 'number' ? f.type === 'number' : ['number', 'string', 'boolean'].includes(f.type),
  );
  const [text, setText] = useState(fromFact || value === undefined ? '' : String(value));
  useEffect(() => setText(isFactReference(value) || value === undefined ? '' : String(value)), [value]);
  const commitText = () => {
    if (text.trim() === '') return onCommit(undefined);
    const n = Number(text);
    onCommit(kind === 'text' || !Number.isFinite(n) ? text : n);
  };
  return (
    <fieldset className="param-source">
      <legend>
        {label}
        {required && <span className="muted small"> (required)</span>}
      </legend>
      <div className="field">
        <label htmlFor={`${id}-from`}>{label}: from</label>
        <select
          id={`${id}-from`}
          value={fromFact ? `fact:${value.fact}` : 'fixed'}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'fixed') onCommit(undefined);
            else onCommit({ fact: v.slice('fact:'.length) });
          }}
        >
          <option value="fixed">a fixed value</option>
          {fitting.map((f) => (
            <option key={f.name} value={`fact:${f.name}`}>
              fact {f.name}
              {f.unit ? ` (${f.unit})` : ''}
            </option>
          ))}
        </select>
      </div>
      {!fromFact && (
        <div className="field">
          <label htmlFor={`${id}-value`}>{label}: fixed value</label>
          <input
            id={`${id}-value`}
            type={kind === 'number' ? 'number' : 'text'}
            step="any"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onBlur={commitText}
            onKeyDown={(e) => e.key === 'Enter' && commitText()}
          />
        </div>
      )}
    </fieldset>
  );
}

/** The event fields the catalogue knows about; everything else stays in the "more parameters" JSON. */
const KNOWN_PARAMS = ['action', 'targetKind', 'objectType', 'objectId', 'parameter', 'value', 'unit', 'reason'];

function EventFields({
  data,
  facts,
  onData,
}: {
  data: EventNodeData;
  facts: FactDefinition[];
  onData: (d: EventNodeData) => void;
}) {
  const params = (data.params ?? {}) as Record<string, unknown>;
  const target = typeof params.targetKind === 'string' ? TARGET_CATALOGUE[params.targetKind as TargetKind] : undefined;
  const action = target?.actions.find((a) => a.action === params.action);
  const detailNames = action?.details.map((d) => d.name) ?? [];
  const rest = Object.fromEntries(
    Object.entries(params).filter(([k]) => !KNOWN_PARAMS.includes(k) && !detailNames.includes(k)),
  );
  const setParams = (next: Record<string, unknown>) =>
    onData(withField(data as Record<string, unknown>, 'params', next) as EventNodeData);
  const setParam = (key: string, value: unknown) => setParams(withField(params, key, value));
  return (
    <>
      <Text label="Rule name" value={data.ruleName} required onCommit={(v) => v && onData({ ...data, ruleName: v })} />
      <Select
        label="Target"
        value={target ? String(params.targetKind) : ''}
        options={[
          { value: '', label: '(choose a target)' },
          ...Object.values(TARGET_CATALOGUE).map((t) => ({ value: t.kind, label: t.label })),
        ]}
        onChange={(v) => {
          const next = TARGET_CATALOGUE[v as TargetKind];
          const keep = next?.actions.some((a) => a.action === params.action);
          setParams({
            ...params,
            targetKind: v || undefined,
            action: keep ? params.action : next?.actions[0].action,
            objectType: keep ? params.objectType : next?.actions[0].objectTypes[0],
          });
        }}
      />
      {target && (
        <Select
          label="Write-back action"
          value={action ? action.action : ''}
          options={[
            ...(action ? [] : [{ value: '', label: '(choose an action)' }]),
            ...target.actions.map((a) => ({ value: a.action, label: a.label })),
          ]}
          onChange={(v) => {
            const next = target.actions.find((a) => a.action === v);
            setParams({ ...params, action: v || undefined, objectType: next?.objectTypes[0] });
          }}
        />
      )}
      {action && (
        <>
          <Select
            label="Object type (ISA-95)"
            value={typeof params.objectType === 'string' ? params.objectType : action.objectTypes[0]}
            options={action.objectTypes.map((t) => ({ value: t, label: ISA95_LABELS[t] ?? t }))}
            onChange={(v) => setParam('objectType', v)}
          />
          <ParamSource
            label="Object"
            value={params.objectId}
            facts={facts}
            kind="text"
            onCommit={(v) => setParam('objectId', v)}
          />
          {action.needsParameter && (
            <Text
              label={target!.parameterLabel}
              value={typeof params.parameter === 'string' ? params.parameter : undefined}
              placeholder="FeedRate"
              onCommit={(v) => setParam('parameter', v)}
            />
          )}
          {action.needsValue && (
            <ParamSource
              label="New value"
              value={params.value}
              facts={facts}
              kind="any"
              required
              onCommit={(v) => setParam('value', v)}
            />
          )}
          {action.details.map((d) => (
            <ParamSource
              key={d.name}
              label={d.label}
              value={params[d.name]}
              facts={facts}
              kind={d.kind}
              required={d.required}
              onCommit={(v) => setParam(d.name, v)}
            />
          ))}
          <Text
            label="Reason (for the audit trail)"
            value={typeof params.reason === 'string' ? params.reason : undefined}
            onCommit={(v) => setParam('reason', v)}
          />
        </>
      )}
      <details className="more">
        <summary>Rule priority, event type and more parameters</summary>
        <NumberInput
          label="Rule priority (optional)"
          value={data.rulePriority}
          optional
          onCommit={(v) => onData(withField(data as Record<string, unknown>, 'rulePriority', v) as EventNodeData)}
        />
        <Text
          label="Event type"
          value={data.eventType}
          required
          onCommit={(v) => v && onData({ ...data, eventType: v })}
        />
        <JsonField
          label="More parameters (JSON object)"
          value={rest}
          rows={4}
          onCommit={(v) => {
            const kept = Object.fromEntries(Object.entries(params).filter(([k]) => !(k in rest)));
            setParams({ ...kept, ...(v as Record<string, unknown>) });
          }}
          hint='Passed on to the flow as they are, e.g. { "machineId": { "fact": "machineId" } }'
        />
      </details>
    </>
  );
}

const ISA95_LABELS: Record<string, string> = {
  equipment: 'Equipment',
  'work-order': 'Work order',
  'material-lot': 'Material lot',
  'recipe-parameter': 'Recipe parameter',
};

function Connection({
  node,
  graph,
  onOutput,
  onMove,
}: {
  node: RuleGraphNode;
  graph: RuleGraph;
  onOutput: InspectorProps['onOutput'];
  onMove: InspectorProps['onMove'];
}) {
  const output = graph.edges.find((e) => e.source === node.id)?.target;
  const targets = graph.nodes.filter((n) => n.id !== node.id && (n.type === 'gate' || n.type === 'event'));
  const siblings = output ? graph.edges.filter((e) => e.target === output) : [];
  const index = siblings.findIndex((e) => e.source === node.id);
  const label = (n: RuleGraphNode) =>
    n.type === 'event'
      ? `Event (${(n.data as EventNodeData).ruleName})`
      : `${(n.data as GateNodeData).gate.toUpperCase()} gate ${n.id}`;
  return (
    <div className="connection">
      <Select
        label="Feeds into"
        value={output ?? ''}
        options={[{ value: '', label: '(not connected)' }, ...targets.map((n) => ({ value: n.id, label: label(n) }))]}
        onChange={(v) => onOutput(node.id, v || undefined)}
      />
      {siblings.length > 1 && (
        <div className="order-buttons" role="group" aria-label="Input order">
          <span className="muted small">
            Input {index + 1} of {siblings.length}
          </span>
          <button
            type="button"
            className="button button-small"
            disabled={index <= 0}
            onClick={() => onMove(node.id, -1)}
          >
            Move up
          </button>
          <button
            type="button"
            className="button button-small"
            disabled={index >= siblings.length - 1}
            onClick={() => onMove(node.id, 1)}
          >
            Move down
          </button>
        </div>
      )}
    </div>
  );
}
