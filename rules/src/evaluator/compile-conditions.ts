import type { Condition, FactCondition, TopLevelCondition } from '@loopgate/contracts';
import { RuleSetCompileError } from './errors';
import type { PathResolver } from './fact-path';
import type { FactSlots } from './fact-reader';
import {
  PrioritySet,
  type CompiledCondition,
  type ConditionTest,
  type ConditionTrace,
  type Leaf,
} from './condition-sets';
import { BUILT_IN_KIND, compareBuiltIn, type OperatorRegistry } from './operators';
import { ConditionTemplate } from './outcomes';
import { ALL, ANY, NONE, type Combination } from './precompute';

export type { ConditionTest, ConditionTrace } from './condition-sets';

/** all/any/not children as json-rules-engine runs them; a single child is the child itself. */
interface CompiledList extends CompiledCondition {
  /** Set when the children form one priority set, so a gate can run it without calling the list. */
  set?: PrioritySet;
}

export interface ConditionCompileEnv {
  slots: FactSlots;
  operators: OperatorRegistry;
  sharedConditions: Readonly<Record<string, TopLevelCondition>>;
  allowUndefinedConditions: boolean;
  pathResolver?: PathResolver;
}

export interface CompiledRuleConditions {
  test: ConditionTest;
  trace: ConditionTrace;
  /** The id the rule's own result is recorded under (by the caller, unless precomputed). */
  rootId: number;
  /** `Precomputation` computes the rule's result: `trace` need not run. */
  precomputed: boolean;
  /** The conditions below the root, references expanded, in tree order (ids ascending). */
  conditions: ConditionTemplate[];
}

type BooleanKind = 'all' | 'any' | 'not';

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** `Condition.booleanOperator`: `any` wins over `all` over `not`. */
export function booleanKind(c: object): BooleanKind | undefined {
  if (hasOwn(c, 'any')) return 'any';
  if (hasOwn(c, 'all')) return 'all';
  if (hasOwn(c, 'not')) return 'not';
  return undefined;
}

export function isConditionReference(c: object): c is { condition: string; priority?: number } {
  return hasOwn(c, 'condition');
}

/** `Almanac.getValue`: an object value with its own `fact` reads that fact. */
export function isFactReference(value: unknown): value is { fact: string; path?: string; params?: object } {
  return value != null && typeof value === 'object' && hasOwn(value, 'fact');
}

function childrenOf(c: Condition, kind: BooleanKind): Condition[] {
  return kind === 'not' ? [(c as { not: Condition }).not] : (c as Record<'all' | 'any', Condition[]>)[kind];
}

function childPath(path: string, kind: BooleanKind, index: number): string {
  return kind === 'not' ? `${path}.not` : `${path}.${kind}[${index}]`;
}

/** Groups by priority, highest first, siblings in written order within a group (`prioritizeConditions`). */
export function prioritySets<T extends { priority: number }>(items: readonly T[]): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const group = groups.get(item.priority);
    if (group) group.push(item);
    else groups.set(item.priority, [item]);
  }
  return [...groups.keys()].sort((a, b) => b - a).map((p) => groups.get(p) as T[]);
}

/**
 * Compiles rules' conditions (or a shared condition as a rule root). Ids number every condition
 * of the rule set, rule roots included, so one evaluation's outcomes fit one array. `always`
 * marks what the engine evaluates whenever it evaluates the rule: the first priority set of every
 * list on the way from the root.
 */
export class ConditionCompiler {
  private nextId = 0;
  private templates: ConditionTemplate[] = [];
  /** What `Precomputation` computes, children before parents. */
  readonly precomputedLeaves: Leaf[] = [];
  readonly combinations: Combination[] = [];

  constructor(private readonly env: ConditionCompileEnv) {}

  /** How many ids the rules compiled so far use. */
  get idCount(): number {
    return this.nextId;
  }

  compileRoot(root: TopLevelCondition): CompiledRuleConditions {
    this.templates = [];
    const rootId = this.nextId++;
    let test: ConditionTest;
    let trace: ConditionTrace;
    const path = '$.conditions';
    // Rule.evaluate tests the root's keys by truthiness in this order.
    const r = root as Partial<Record<BooleanKind | 'condition', unknown>>;
    let precomputed = false;
    if (r.any || r.all) {
      const kind = r.any ? 'any' : 'all';
      const list = this.list((root as Record<'any' | 'all', Condition[]>)[kind], kind, path, [], true);
      ({ test, trace } = list);
      // The root's result is the list's own, not `=== true`: the same for boolean members.
      precomputed = this.combine(rootId, kind === 'any' ? ANY : ALL, list);
    } else if (r.not) {
      const inner = this.list([(root as { not: Condition }).not], 'not', path, [], true);
      const innerTest = inner.test;
      const innerTrace = inner.trace;
      test = (f) => !innerTest(f);
      trace = (f, out) => !innerTrace(f, out);
      precomputed = this.combine(rootId, NONE, inner);
    } else {
      // A root reference is realized and evaluated as a condition, so its result is `=== true`.
      ({ test, trace } = this.reference(root as { condition: string }, path, [], true, true));
    }
    return { test, trace, rootId, precomputed, conditions: this.templates };
  }

  /**
   * Adds all/any/not over `list` to the precomputation when every member is precomputed (one
   * priority set of them, or a single one); whether it did.
   */
  private combine(id: number, kind: number, list: CompiledList): boolean {
    let members: readonly number[];
    if (list === EMPTY_LIST) members = [];
    else if (list.set?.precomputed) members = list.set.outcomeIds;
    else if (list.recordedId !== undefined) members = [list.recordedId];
    else return false;
    // prioritizeAndRun gives true for no conditions, for all and any alike.
    this.combinations.push({ id, kind: members.length === 0 ? ALL : kind, members });
    return true;
  }

  private condition(c: Condition, path: string, refs: readonly string[], always: boolean): CompiledCondition {
    if (isConditionReference(c)) return this.reference(c, path, refs, false, always);
    const kind = booleanKind(c);
    if (kind) return this.gate(childrenOf(c, kind), kind, path, refs, this.id(path), always);
    return this.fact(c as FactCondition, path, always);
  }

  /** `Rule.prioritizeConditions`: a condition's priority among its siblings. */
  private priorityOf(c: Condition): number {
    if (isConditionReference(c)) return c.priority || 1;
    if (booleanKind(c)) return Number.parseInt(String(c.priority), 10) || 1;
    const fact = c as FactCondition;
    return (fact.priority as number) || this.env.slots.enginePriority.get(fact.fact) || 1;
  }

  /** A new id for an all/any/not or reference shown in results, in tree order. */
  private id(path: string): number {
    const id = this.nextId++;
    this.templates.push(ConditionTemplate.gate(id, path));
    return id;
  }

  /** all/any/not evaluated as a condition: the result is `comparisonValue === true`, recorded at `id` (none when -1). */
  private gate(
    children: Condition[],
    kind: BooleanKind,
    path: string,
    refs: readonly string[],
    id: number,
    always: boolean,
  ): CompiledCondition {
    const inner = this.list(children, kind, path, refs, always);
    const negate = kind === 'not';
    const leaf = inner.leaf;
    if (leaf && leaf.gateId < 0 && id >= 0) {
      // One comparison under the gate (`not: { fact… }` is the usual case): a leaf that also records the gate.
      leaf.gateId = id;
      leaf.negate = negate;
      const { kind: op, slot, value, id: leafId } = leaf;
      const test: ConditionTest = (f) => compareBuiltIn(op, f.read(slot), value) !== negate;
      if (inner.recordedId !== undefined) return { leaf, recordedId: id, test, trace: recorded(id) };
      return {
        leaf,
        test,
        trace: (f, out) =>
          out.recordBoolean(id, out.recordBoolean(leafId, compareBuiltIn(op, f.read(slot), value)) !== negate),
      };
    }
    const set = inner.set;
    const innerTest = inner.test;
    const innerTrace = inner.trace;
    let test: ConditionTest;
    if (set) {
      // The gate runs its children's one priority set itself: one call less per evaluation.
      const size = set.size;
      test = kind === 'any' ? (f) => set.countTrue(f) > 0 : (f) => set.countTrue(f) === size;
    } else test = negate ? (f) => !innerTest(f) : (f) => innerTest(f) === true;
    if (always && id >= 0 && this.combine(id, kind === 'any' ? ANY : negate ? NONE : ALL, inner)) {
      return { recordedId: id, test, trace: recorded(id) };
    }
    let trace: ConditionTrace;
    if (set && id >= 0) {
      const size = set.size;
      trace =
        kind === 'any'
          ? (f, out) => out.recordBoolean(id, set.countTrueTraced(f, out) > 0)
          : (f, out) => out.recordBoolean(id, set.countTrueTraced(f, out) === size);
    } else if (negate) {
      trace = id < 0 ? (f, out) => !innerTrace(f, out) : (f, out) => out.recordBoolean(id, !innerTrace(f, out));
    } else {
      trace =
        id < 0
          ? (f, out) => innerTrace(f, out) === true
          : (f, out) => out.recordBoolean(id, innerTrace(f, out) === true);
    }
    return { test, trace };
  }

  /**
   * `prioritizeAndRun`: nothing is true, one condition gives its own (raw) result, more are run
   * priority set by priority set; every condition of a set runs, and the next set only runs
   * while the outcome is still open.
   */
  private list(
    children: readonly Condition[],
    kind: BooleanKind,
    path: string,
    refs: readonly string[],
    always: boolean,
  ): CompiledList {
    const priorities = children.map((c) => this.priorityOf(c));
    const first = prioritySets(priorities.map((priority, index) => ({ priority, index })))[0] ?? [];
    const firstSet = new Set(first.map((c) => c.index));
    const compiled = children.map((c, i) =>
      this.condition(c, childPath(path, kind, i), refs, always && firstSet.has(i)),
    );
    if (compiled.length === 0) return EMPTY_LIST;
    if (compiled.length === 1) return compiled[0];
    const sets = prioritySets(compiled.map((c, i) => ({ c, priority: priorities[i] }))).map(
      (set) => new PrioritySet(set.map(({ c }) => c)),
    );
    return kind === 'any' ? anyOf(sets) : allOf(sets);
  }

  /** `realize`: follow the reference (and references it names) to a shared condition, evaluated in place. */
  private reference(
    c: { condition: string; priority?: number },
    path: string,
    refs: readonly string[],
    root: boolean,
    always: boolean,
  ): CompiledCondition {
    const id = root ? -1 : this.id(path);
    const chain = [...refs];
    let name = c.condition;
    let target: TopLevelCondition | undefined;
    for (;;) {
      if (chain.includes(name)) {
        throw new RuleSetCompileError(`Condition reference "${name}" refers to itself`, [
          { code: 'CIRCULAR_CONDITION_REFERENCE', path, message: `"${[...chain, name].join('" → "')}" loops` },
        ]);
      }
      chain.push(name);
      const found = hasOwn(this.env.sharedConditions, name) ? this.env.sharedConditions[name] : undefined;
      if (!found || !isConditionReference(found)) {
        target = found;
        break;
      }
      name = found.condition;
    }
    if (!target) {
      if (this.env.allowUndefinedConditions) {
        return {
          test: () => false,
          trace: id < 0 ? () => false : (_f, out) => out.recordBoolean(id, false),
        };
      }
      const message = `No condition ${name} exists`;
      const fail = () => {
        throw new Error(message);
      };
      return { test: fail, trace: fail };
    }
    const kind = booleanKind(target);
    if (!kind) {
      throw new RuleSetCompileError(`Shared condition "${name}" is not all/any/not`, [
        { code: 'INVALID_CONDITION', path, message: `shared condition "${name}" must be all, any, not or a reference` },
      ]);
    }
    return this.gate(childrenOf(target as Condition, kind), kind, path, chain, id, always);
  }

  private fact(c: FactCondition, path: string, always: boolean): CompiledCondition {
    const { slots, pathResolver } = this.env;
    const factName = c.fact;
    const operatorName = c.operator;
    const value = c.value;
    const factSlot = slots.valueSlot(factName, c.path, pathResolver);
    const valueSlot = isFactReference(value) ? slots.valueSlot(value.fact, value.path, pathResolver) : -1;
    const id = this.nextId++;
    this.templates.push(
      new ConditionTemplate(id, path, factName, operatorName, valueSlot < 0 ? value : undefined, valueSlot, factSlot),
    );
    const op = this.env.operators.resolve(operatorName);
    if (!op) {
      const fail = () => {
        throw new Error(`Unknown operator: ${operatorName}`);
      };
      return { test: fail, trace: fail };
    }
    const evaluate = op.evaluate;
    if (valueSlot >= 0) {
      // Fact-to-fact: the engine reads the value's fact first.
      return {
        test: (f) => {
          const b = f.read(valueSlot);
          return evaluate(f.read(factSlot), b);
        },
        trace: (f, out) => {
          const b = f.read(valueSlot);
          return out.record(id, evaluate(f.read(factSlot), b));
        },
      };
    }
    if (op.builtIn) {
      const kind = BUILT_IN_KIND[op.builtIn];
      const leaf: Leaf = { kind, slot: factSlot, value, id, gateId: -1, negate: false };
      const test: ConditionTest = (f) => compareBuiltIn(kind, f.read(factSlot), value);
      if (always) {
        this.precomputedLeaves.push(leaf);
        return { leaf, recordedId: id, test, trace: recorded(id) };
      }
      return { leaf, test, trace: (f, out) => out.recordBoolean(id, compareBuiltIn(kind, f.read(factSlot), value)) };
    }
    return {
      test: (f) => evaluate(f.read(factSlot), value),
      trace: (f, out) => out.record(id, evaluate(f.read(factSlot), value)),
    };
  }
}

const EMPTY_LIST: CompiledList = { test: () => true, trace: () => true };

/** The trace of a condition `Precomputation` computed: its recorded outcome. */
function recorded(id: number): ConditionTrace {
  return (_f, out) => out.result(id);
}

function anyOf(sets: readonly PrioritySet[]): CompiledList {
  if (sets.length === 1) {
    const [set] = sets;
    return { set, test: (f) => set.countTrue(f) > 0, trace: (f, out) => set.countTrueTraced(f, out) > 0 };
  }
  return {
    test: (f) => {
      for (const set of sets) if (set.countTrue(f) > 0) return true;
      return false;
    },
    trace: (f, out) => {
      for (const set of sets) if (set.countTrueTraced(f, out) > 0) return true;
      return false;
    },
  };
}

function allOf(sets: readonly PrioritySet[]): CompiledList {
  if (sets.length === 1) {
    const [set] = sets;
    const size = set.size;
    return {
      set,
      test: (f) => set.countTrue(f) === size,
      trace: (f, out) => set.countTrueTraced(f, out) === size,
    };
  }
  return {
    test: (f) => {
      for (const set of sets) if (set.countTrue(f) !== set.size) return false;
      return true;
    },
    trace: (f, out) => {
      for (const set of sets) if (set.countTrueTraced(f, out) !== set.size) return false;
      return true;
    },
  };
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
