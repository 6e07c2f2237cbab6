import type { Condition, ConditionResult, FactCondition, RuleEvent, TopLevelCondition } from '@loopgate/contracts';
import { AsyncFactError, RuleSetCompileError } from './errors';
import { compileFactPath, plainPathSegments, type PathResolver } from './fact-path';
import { isThenable, type FactReader, type FactSlots } from './fact-reader';
import { numberValidator, type OperatorRegistry, type ResolvedOperator } from './operators';

/** What json-rules-engine's `evaluateCondition` resolves to, computed synchronously. */
export type ConditionTest = (facts: FactReader) => unknown;
/** The same, also writing each evaluated condition's result into `results[order]`. */
export type ConditionTrace = (facts: FactReader, results: ConditionResult[]) => unknown;

interface CompiledCondition {
  test: ConditionTest;
  trace: ConditionTrace;
  /** Its priority among its siblings, as `Rule.prioritizeConditions` computes it. */
  priority: number;
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
  /** How many result slots `trace` may fill (conditions in the tree with references expanded). */
  resultSlots: number;
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

/** Compiles one rule's conditions (or one shared condition as a rule root). */
export class ConditionCompiler {
  private order = 0;

  constructor(private readonly env: ConditionCompileEnv) {}

  compileRoot(root: TopLevelCondition): CompiledRuleConditions {
    this.order = 0;
    let test: ConditionTest;
    let trace: ConditionTrace;
    const path = '$.conditions';
    // Rule.evaluate tests the root's keys by truthiness in this order.
    const r = root as Partial<Record<BooleanKind | 'condition', unknown>>;
    if (r.any) ({ test, trace } = this.list((root as { any: Condition[] }).any, 'any', path, []));
    else if (r.all) ({ test, trace } = this.list((root as { all: Condition[] }).all, 'all', path, []));
    else if (r.not) {
      const inner = this.list([(root as { not: Condition }).not], 'not', path, []);
      test = (f) => !inner.test(f);
      trace = (f, out) => !inner.trace(f, out);
    } else {
      // A root reference is realized and evaluated as a condition, so its result is `=== true`.
      ({ test, trace } = this.reference(root as { condition: string }, path, [], true));
    }
    return { test, trace, resultSlots: this.order };
  }

  private condition(c: Condition, path: string, refs: readonly string[]): CompiledCondition {
    if (isConditionReference(c)) return this.reference(c, path, refs, false);
    const kind = booleanKind(c);
    if (kind) return this.boolean(c, kind, path, refs);
    return this.fact(c as FactCondition, path);
  }

  private boolean(c: Condition, kind: BooleanKind, path: string, refs: readonly string[]): CompiledCondition {
    const order = this.order++;
    const { test, trace } = this.gate(childrenOf(c, kind), kind, path, refs, order);
    return { test, trace, priority: Number.parseInt(String(c.priority), 10) || 1 };
  }

  /** all/any/not evaluated as a condition: the result is `comparisonValue === true`, recorded at `order`. */
  private gate(children: Condition[], kind: BooleanKind, path: string, refs: readonly string[], order: number) {
    const inner = this.list(children, kind, path, refs);
    const innerTest = inner.test;
    const innerTrace = inner.trace;
    let test: ConditionTest;
    let trace: ConditionTrace;
    if (kind === 'not') {
      test = (f) => !innerTest(f);
      trace = (f, out) => {
        const result = !innerTrace(f, out);
        if (order >= 0) out[order] = { path, result };
        return result;
      };
    } else {
      test = (f) => innerTest(f) === true;
      trace = (f, out) => {
        const result = innerTrace(f, out) === true;
        if (order >= 0) out[order] = { path, result };
        return result;
      };
    }
    return { test, trace };
  }

  /**
   * `prioritizeAndRun`: nothing is true, one condition gives its own (raw) result, more are run
   * priority set by priority set; every condition of a set runs, and the next set only runs
   * while the outcome is still open.
   */
  private list(children: readonly Condition[], kind: BooleanKind, path: string, refs: readonly string[]) {
    const compiled = children.map((c, i) => this.condition(c, childPath(path, kind, i), refs));
    if (compiled.length === 0) {
      return { test: (() => true) as ConditionTest, trace: (() => true) as ConditionTrace };
    }
    if (compiled.length === 1) return { test: compiled[0].test, trace: compiled[0].trace };
    const sets = prioritySets(compiled);
    const testSets = sets.map((set) => set.map((c) => c.test));
    const traceSets = sets.map((set) => set.map((c) => c.trace));
    if (kind === 'any') {
      return {
        test: (f: FactReader) => {
          for (const set of testSets) {
            let some = false;
            for (const t of set) if (t(f) === true) some = true;
            if (some) return true;
          }
          return false;
        },
        trace: (f: FactReader, out: ConditionResult[]) => {
          for (const set of traceSets) {
            let some = false;
            for (const t of set) if (t(f, out) === true) some = true;
            if (some) return true;
          }
          return false;
        },
      };
    }
    if (testSets.length === 1) {
      const [set] = testSets;
      const [traceSet] = traceSets;
      return {
        test: (f: FactReader) => {
          let every = true;
          for (const t of set) if (t(f) !== true) every = false;
          return every;
        },
        trace: (f: FactReader, out: ConditionResult[]) => {
          let every = true;
          for (const t of traceSet) if (t(f, out) !== true) every = false;
          return every;
        },
      };
    }
    return {
      test: (f: FactReader) => {
        for (const set of testSets) {
          let every = true;
          for (const t of set) if (t(f) !== true) every = false;
          if (!every) return false;
        }
        return true;
      },
      trace: (f: FactReader, out: ConditionResult[]) => {
        for (const set of traceSets) {
          let every = true;
          for (const t of set) if (t(f, out) !== true) every = false;
          if (!every) return false;
        }
        return true;
      },
    };
  }

  /** `realize`: follow the reference (and references it names) to a shared condition, evaluated in place. */
  private reference(
    c: { condition: string; priority?: number },
    path: string,
    refs: readonly string[],
    root: boolean,
  ): CompiledCondition {
    const order = root ? -1 : this.order++;
    const priority = c.priority || 1;
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
          priority,
          test: () => false,
          trace: (_f, out) => {
            if (order >= 0) out[order] = { path, result: false };
            return false;
          },
        };
      }
      const message = `No condition ${name} exists`;
      const fail = () => {
        throw new Error(message);
      };
      return { priority, test: fail, trace: fail };
    }
    const kind = booleanKind(target);
    if (!kind) {
      throw new RuleSetCompileError(`Shared condition "${name}" is not all/any/not`, [
        { code: 'INVALID_CONDITION', path, message: `shared condition "${name}" must be all, any, not or a reference` },
      ]);
    }
    const { test, trace } = this.gate(childrenOf(target as Condition, kind), kind, path, chain, order);
    return { priority, test, trace };
  }

  private fact(c: FactCondition, path: string): CompiledCondition {
    const order = this.order++;
    const { slots } = this.env;
    const factName = c.fact;
    const operatorName = c.operator;
    const priority = (c.priority as number) || slots.enginePriority.get(factName) || 1;
    const op = this.env.operators.resolve(operatorName);
    if (!op) {
      const fail = () => {
        throw new Error(`Unknown operator: ${operatorName}`);
      };
      return { priority, test: fail, trace: fail };
    }
    const lhs = this.factValue(factName, c.path);
    const value = c.value;
    const evaluate = op.evaluate;
    let test: ConditionTest;
    let trace: ConditionTrace;
    if (isFactReference(value)) {
      const rhs = this.factValue(value.fact, value.path);
      test = (f) => {
        const b = rhs(f);
        return evaluate(lhs(f), b);
      };
      trace = (f, out) => {
        const b = rhs(f);
        const a = lhs(f);
        const result = evaluate(a, b);
        out[order] = {
          path,
          fact: factName,
          operator: operatorName,
          value: b,
          factValue: a,
          result: result as boolean,
        };
        return result;
      };
    } else {
      test =
        (c.path ? undefined : literalComparison(op, slots.slot(factName), value)) ?? ((f) => evaluate(lhs(f), value));
      trace = (f, out) => {
        const a = lhs(f);
        const result = evaluate(a, value);
        out[order] = { path, fact: factName, operator: operatorName, value, factValue: a, result: result as boolean };
        return result;
      };
    }
    return { priority, test, trace };
  }

  /** `Almanac.factValue(fact, params, path)`: the value, then the path when the value is an object. */
  factValue(name: string, path: string | undefined): ConditionTest {
    const slot = this.env.slots.slot(name);
    if (!path) return (f) => f.read(slot);
    const resolve = compileFactPath(path, this.env.pathResolver);
    return (f) => {
      const v = resolve(f.read(slot));
      // The almanac resolves the path inside a `then`, so a promise found there is awaited.
      if (isThenable(v)) throw new AsyncFactError(name);
      return v;
    };
  }
}

/** Specialised code for the common case (a built-in compared with a literal), same semantics as the operator table. */
function literalComparison(op: ResolvedOperator, slot: number, v: unknown): ConditionTest | undefined {
  switch (op.builtIn) {
    case 'equal':
      return (f) => f.read(slot) === v;
    case 'notEqual':
      return (f) => f.read(slot) !== v;
    case 'lessThan':
      return (f) => {
        const a = f.read(slot);
        return (typeof a === 'number' ? a === a : numberValidator(a)) && (a as number) < (v as number);
      };
    case 'lessThanInclusive':
      return (f) => {
        const a = f.read(slot);
        return (typeof a === 'number' ? a === a : numberValidator(a)) && (a as number) <= (v as number);
      };
    case 'greaterThan':
      return (f) => {
        const a = f.read(slot);
        return (typeof a === 'number' ? a === a : numberValidator(a)) && (a as number) > (v as number);
      };
    case 'greaterThanInclusive':
      return (f) => {
        const a = f.read(slot);
        return (typeof a === 'number' ? a === a : numberValidator(a)) && (a as number) >= (v as number);
      };
    default:
      return undefined;
  }
}

/** How a rule's event comes out: the rule's own (frozen) event, or one with fact references replaced. */
export function compileEvent(
  event: RuleEvent,
  replaceFacts: boolean,
  compiler: ConditionCompiler,
): {
  event: RuleEvent;
  /** The event with fact references replaced (json-rules-engine's `resolveEventParams`). */
  resolve?: (f: FactReader) => RuleEvent;
  /** Reads what `resolve` reads, without building the event: a failed rule's params fail the run in the engine too. */
  touch?: (f: FactReader) => void;
  factSlots: { name: string; plainPath: boolean }[];
} {
  // Rule.setEvent keeps only `type` and truthy `params`.
  const own: RuleEvent = event.params ? { type: event.type, params: event.params } : { type: event.type };
  const frozen = deepFreeze(own);
  const params = frozen.params;
  if (!replaceFacts || params === null || typeof params !== 'object') return { event: frozen, factSlots: [] };
  const keys = Object.keys(params);
  const readers: (ConditionTest | undefined)[] = [];
  const factSlots: { name: string; plainPath: boolean }[] = [];
  for (const key of keys) {
    const v = params[key];
    if (isFactReference(v)) {
      readers.push(compiler.factValue(v.fact, v.path));
      factSlots.push({ name: v.fact, plainPath: !v.path || plainPathSegments(v.path) !== undefined });
    } else readers.push(undefined);
  }
  if (factSlots.length === 0) return { event: frozen, factSlots };
  const type = frozen.type;
  const refKeys = keys.filter((_, i) => readers[i] !== undefined);
  const refs = readers.filter((r): r is ConditionTest => r !== undefined);
  const resolve = (f: FactReader): RuleEvent => {
    // A shallow copy keeps the key order (the engine replaces values in place on its clone).
    const out: Record<string, unknown> = { ...params };
    for (let i = 0; i < refs.length; i++) out[refKeys[i]] = refs[i](f);
    return { type, params: out };
  };
  const touch = (f: FactReader): void => {
    for (const read of refs) read(f);
  };
  return { event: frozen, resolve, touch, factSlots };
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
