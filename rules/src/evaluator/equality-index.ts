import type { Condition, FactCondition, RuleDefinition } from '@loopgate/contracts';
import { booleanKind, isConditionReference, isFactReference, prioritySets } from './compile-conditions';
import type { FactSlots } from './fact-reader';
import type { OperatorRegistry } from './operators';

/** A rule the index may skip: it cannot fire unless `slot`'s value is one of `values`. */
export interface IndexedRule {
  slot: number;
  values: unknown[];
  /**
   * Facts the engine reads anyway when the rule's first priority set fails, and whether each must
   * be a primitive for those reads to be free of errors. The index skips a rule only when all hold.
   */
  reads: { slot: number; primitive: boolean }[];
}

type IndexKey = string | number | boolean | null;

function isIndexKey(v: unknown): v is IndexKey {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && !Number.isNaN(v));
}

interface SimpleCondition {
  slot: number;
  primitive: boolean;
  /** Present when the condition can only be true for these fact values. */
  keys?: IndexKey[];
  equality: boolean;
}

/**
 * A condition whose evaluation cannot throw once its fact is present (and primitive where noted):
 * a built-in operator with a literal value, no path, no decorator.
 */
function simpleCondition(c: Condition, slots: FactSlots, operators: OperatorRegistry): SimpleCondition | undefined {
  if (isConditionReference(c) || booleanKind(c)) return undefined;
  const fc = c as FactCondition;
  if (fc.path || isFactReference(fc.value)) return undefined;
  const op = operators.resolve(fc.operator);
  if (!op?.builtIn) return undefined;
  const slot = slots.slot(fc.fact);
  const value = fc.value;
  switch (op.builtIn) {
    case 'equal':
      return { slot, primitive: false, keys: isIndexKey(value) ? [value] : undefined, equality: true };
    case 'notEqual':
    case 'contains':
    case 'doesNotContain':
      return { slot, primitive: false, equality: false };
    case 'lessThan':
    case 'lessThanInclusive':
    case 'greaterThan':
    case 'greaterThanInclusive':
      // parseFloat and `<` call toString/valueOf on objects, which may throw.
      return { slot, primitive: true, equality: false };
    case 'in':
    case 'notIn':
      if (Array.isArray(value)) {
        const keys = op.builtIn === 'in' && value.every(isIndexKey) ? [...new Set(value as IndexKey[])] : undefined;
        return { slot, primitive: false, keys, equality: false };
      }
      // `'abc'.indexOf(x)` converts x to a string.
      if (typeof value === 'string') return { slot, primitive: true, equality: false };
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Whether evaluating `c` cannot throw once the facts it reads hold their requirements; collects
 * those reads. Gates qualify when everything inside them does (every fact read inside counts,
 * even where the engine would short-circuit: requiring more only sends more events the exact way).
 */
function collectSimpleReads(
  c: Condition,
  slots: FactSlots,
  operators: OperatorRegistry,
  reads: SimpleCondition[],
): boolean {
  if (isConditionReference(c)) return false;
  const kind = booleanKind(c);
  if (kind) {
    const children = kind === 'not' ? [(c as { not: Condition }).not] : (c as Record<'all' | 'any', Condition[]>)[kind];
    return children.every((child) => collectSimpleReads(child, slots, operators, reads));
  }
  const simple = simpleCondition(c, slots, operators);
  if (!simple) return false;
  reads.push(simple);
  return true;
}

/**
 * Plans the equality index. A rule qualifies when its root is `all` and the first priority set of
 * the root (always evaluated, and evaluated in full) can only fail without throwing, and one of
 * its fact conditions is an `equal` (or `in`) on a literal. If that condition is false the rule is
 * false, and the engine reads nothing but the facts of that first set.
 */
export function planIndex(
  rules: readonly RuleDefinition[],
  slots: FactSlots,
  operators: OperatorRegistry,
  factPriority: (fact: string) => number | undefined,
): (IndexedRule | undefined)[] {
  const analysed = rules.map((rule) => {
    const root = rule.conditions as Partial<Record<'any' | 'all' | 'not', unknown>>;
    if (root.any || !root.all) return undefined;
    const children = (rule.conditions as { all: Condition[] }).all;
    if (children.length === 0) return undefined;
    const prioritised = children.map((c) => ({
      c,
      priority: booleanKind(c)
        ? Number.parseInt(String(c.priority), 10) || 1
        : c.priority || (isConditionReference(c) ? undefined : factPriority((c as FactCondition).fact)) || 1,
    }));
    const firstSet = children.length === 1 ? prioritised : prioritySets(prioritised)[0];
    const reads: SimpleCondition[] = [];
    const keyed: SimpleCondition[] = [];
    for (const { c } of firstSet) {
      const before = reads.length;
      if (!collectSimpleReads(c, slots, operators, reads)) return undefined;
      // Only a fact condition directly in the root's all makes the rule false by being false.
      if (!booleanKind(c) && reads[before].keys) keyed.push(reads[before]);
    }
    return keyed.length > 0 ? { reads, keyed } : undefined;
  });
  // Index each rule on the fact with the most distinct values across rules: more, smaller groups.
  const distinct = new Map<number, Set<IndexKey>>();
  for (const entry of analysed) {
    for (const s of entry?.keyed ?? []) {
      const keys = distinct.get(s.slot) ?? new Set<IndexKey>();
      for (const key of s.keys as IndexKey[]) keys.add(key);
      distinct.set(s.slot, keys);
    }
  }
  const spread = (slot: number) => distinct.get(slot)?.size ?? 0;
  return analysed.map((entry) => {
    if (!entry) return undefined;
    let best: SimpleCondition | undefined;
    for (const s of entry.keyed) {
      if (
        !best ||
        (s.equality && !best.equality) ||
        (s.equality === best.equality && spread(s.slot) > spread(best.slot))
      ) {
        best = s;
      }
    }
    const chosen = best as SimpleCondition;
    const reads = new Map<number, boolean>();
    for (const s of entry.reads) reads.set(s.slot, (reads.get(s.slot) ?? false) || s.primitive);
    return {
      slot: chosen.slot,
      values: chosen.keys as IndexKey[],
      reads: [...reads].map(([slot, primitive]) => ({ slot, primitive })),
    };
  });
}
