import type {
  Condition,
  DerivedFact,
  FactDefinition,
  RuleDefinition,
  RuleEvent,
  RuleSetFile,
} from '@loopgate/contracts';

/** Fixed key orders: what a reader looks for first comes first; nested conditions come last. */
const FILE_KEYS = [
  'schemaVersion',
  'id',
  'name',
  'description',
  'facts',
  'derivedFacts',
  'sharedConditions',
  'rules',
] as const;
const FACT_KEYS = ['name', 'type', 'unit', 'source', 'description'] as const;
const DERIVED_FACT_KEYS = ['name', 'type', 'unit', 'expression', 'description'] as const;
const RULE_KEYS = ['name', 'priority', 'conditions', 'event'] as const;
const FACT_CONDITION_KEYS = ['fact', 'path', 'params', 'operator', 'value', 'priority', 'name'] as const;
const REFERENCE_KEYS = ['condition', 'priority', 'name'] as const;
const GATE_KEYS = ['name', 'priority'] as const;
/** Event params lead with what the gateway reads first; the rest alphabetically. */
const LEADING_PARAM_KEYS = ['action', 'targetKind'];

function pick(
  source: object,
  keys: readonly string[],
  map: (key: string, v: unknown) => unknown = (_k, v) => canonicalJson(v),
) {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (Object.hasOwn(source, key) && (source as Record<string, unknown>)[key] !== undefined) {
      out[key] = map(key, (source as Record<string, unknown>)[key]);
    }
  }
  return out;
}

/** Any JSON value with object keys sorted, recursively; arrays keep their order. */
export function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonicalJson(v);
    }
    return out;
  }
  return value;
}

function canonicalCondition(c: Condition): Condition {
  for (const gate of ['any', 'all', 'not'] as const) {
    if (Object.hasOwn(c, gate)) {
      const own = pick(c, GATE_KEYS);
      const inner = (c as unknown as Record<string, unknown>)[gate];
      own[gate] = Array.isArray(inner)
        ? inner.map((x) => canonicalCondition(x as Condition))
        : canonicalCondition(inner as Condition);
      return own as unknown as Condition;
    }
  }
  if (Object.hasOwn(c, 'condition')) return pick(c, REFERENCE_KEYS) as unknown as Condition;
  return pick(c, FACT_CONDITION_KEYS) as unknown as Condition;
}

function canonicalEvent(event: RuleEvent): RuleEvent {
  const out: RuleEvent = { type: event.type };
  if (event.params !== undefined) {
    const params = canonicalJson(event.params) as Record<string, unknown>;
    const keys = Object.keys(params);
    const ordered = [
      ...LEADING_PARAM_KEYS.filter((k) => keys.includes(k)),
      ...keys.filter((k) => !LEADING_PARAM_KEYS.includes(k)),
    ];
    out.params = Object.fromEntries(ordered.map((k) => [k, params[k]]));
  }
  return out;
}

/**
 * A deep copy of a (valid) rule set file in canonical form: fixed key order, shared conditions
 * and free-form objects sorted by key, absent optional fields left out. Semantics are unchanged.
 */
export function canonicalRuleSet(file: RuleSetFile): RuleSetFile {
  return pick(file, FILE_KEYS, (key, v) => {
    switch (key) {
      case 'facts':
        return (v as FactDefinition[]).map((f) => pick(f, FACT_KEYS));
      case 'derivedFacts':
        return (v as DerivedFact[]).map((f) => pick(f, DERIVED_FACT_KEYS));
      case 'sharedConditions': {
        const shared = v as Record<string, Condition>;
        return Object.fromEntries(
          Object.keys(shared)
            .sort()
            .map((name) => [name, canonicalCondition(shared[name])]),
        );
      }
      case 'rules':
        return (v as RuleDefinition[]).map((rule) =>
          pick(rule, RULE_KEYS, (k, x) =>
            k === 'conditions'
              ? canonicalCondition(x as Condition)
              : k === 'event'
                ? canonicalEvent(x as RuleEvent)
                : x,
          ),
        );
      default:
        return canonicalJson(v);
    }
  }) as unknown as RuleSetFile;
}

/**
 * The file text as kept in `rules/sets/<id>.json`: canonical form, two-space indentation, one
 * value per line (so a changed threshold is a one-line diff), trailing newline.
 */
export function serializeRuleSet(file: RuleSetFile): string {
  return `${JSON.stringify(canonicalRuleSet(file), null, 2)}\n`;
}
