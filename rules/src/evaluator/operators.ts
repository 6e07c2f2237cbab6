/**
 * Operators and operator decorators with json-rules-engine 7's exact semantics
 * (`engine-default-operators.js`, `engine-default-operator-decorators.js`, `operator-map.js`).
 */

/** A comparison as the engine calls it: the fact's value on the left, the condition's value on the right. */
export type OperatorEvaluator = (factValue: unknown, compareToValue: unknown) => unknown;

/**
 * A custom operator, registered like json-rules-engine's `engine.addOperator(new Operator(name, evaluate, validator))`.
 *
 * @example { name: 'startsWith', evaluate: (fact, value) => typeof fact === 'string' && fact.startsWith(String(value)) }
 */
export interface CustomOperator {
  name: string;
  /** Must be pure: the compiled evaluator may call it in a different order than the engine, never more often per condition. */
  evaluate(factValue: unknown, compareToValue: unknown): boolean;
  /** When it returns false the condition is false without calling `evaluate`. */
  factValueValidator?(factValue: unknown): boolean;
}

/**
 * A custom operator decorator, used as `<name>:<operator>` like json-rules-engine's `someFact:equal`.
 *
 * @example { name: 'abs', evaluate: (fact, value, next) => next(Math.abs(Number(fact)), value) }
 */
export interface CustomOperatorDecorator {
  name: string;
  evaluate(
    factValue: unknown,
    compareToValue: unknown,
    next: (factValue: unknown, compareToValue: unknown) => boolean,
  ): boolean;
  factValueValidator?(factValue: unknown): boolean;
}

export const BUILT_IN_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;
export type BuiltInOperator = (typeof BUILT_IN_OPERATORS)[number];

export const BUILT_IN_DECORATORS = ['someFact', 'someValue', 'everyFact', 'everyValue', 'swap', 'not'] as const;
export type BuiltInDecorator = (typeof BUILT_IN_DECORATORS)[number];

type Validator = (factValue: unknown) => boolean;
type DecoratorCallback = (factValue: unknown, compareToValue: unknown, next: OperatorEvaluator) => unknown;

interface Indexable {
  indexOf(item: unknown): number;
}
interface ArrayLike {
  some(cb: (x: unknown) => unknown): boolean;
  every(cb: (x: unknown) => unknown): boolean;
}

/** json-rules-engine's `numberValidator`, kept literally: numeric strings and `[5]` pass. */
export function numberValidator(factValue: unknown): boolean {
  return Number.parseFloat(factValue as string).toString() !== 'NaN';
}

/** For a number, `parseFloat(String(n))` is NaN only when n is NaN; other types take the engine's own path. */
function isNumeric(a: unknown): boolean {
  return typeof a === 'number' ? a === a : numberValidator(a);
}

const EQUAL = 1;
const NOT_EQUAL = 2;
const IN = 3;
const NOT_IN = 4;
const CONTAINS = 5;
const DOES_NOT_CONTAIN = 6;
const LESS_THAN = 7;
const LESS_THAN_INCLUSIVE = 8;
const GREATER_THAN = 9;
const GREATER_THAN_INCLUSIVE = 10;

/** Built-ins by number, so compiled conditions compare inline through `compareBuiltIn` (0 is none). */
export const BUILT_IN_KIND: Readonly<Record<BuiltInOperator, number>> = Object.freeze({
  equal: EQUAL,
  notEqual: NOT_EQUAL,
  in: IN,
  notIn: NOT_IN,
  contains: CONTAINS,
  doesNotContain: DOES_NOT_CONTAIN,
  lessThan: LESS_THAN,
  lessThanInclusive: LESS_THAN_INCLUSIVE,
  greaterThan: GREATER_THAN,
  greaterThanInclusive: GREATER_THAN_INCLUSIVE,
});

/** Each built-in is `validator(a) && cb(a, b)` folded into one expression, as `Operator.evaluate` does. */
export function compareBuiltIn(kind: number, a: unknown, b: unknown): boolean {
  switch (kind) {
    case EQUAL:
      return a === b;
    case NOT_EQUAL:
      return a !== b;
    case IN:
      return (b as Indexable).indexOf(a) > -1;
    case NOT_IN:
      return (b as Indexable).indexOf(a) === -1;
    case CONTAINS:
      return Array.isArray(a) && a.indexOf(b) > -1;
    case DOES_NOT_CONTAIN:
      return Array.isArray(a) && a.indexOf(b) === -1;
    case LESS_THAN:
      return isNumeric(a) && (a as number) < (b as number);
    case LESS_THAN_INCLUSIVE:
      return isNumeric(a) && (a as number) <= (b as number);
    case GREATER_THAN:
      return isNumeric(a) && (a as number) > (b as number);
    case GREATER_THAN_INCLUSIVE:
      return isNumeric(a) && (a as number) >= (b as number);
    default:
      throw new Error(`Not a built-in operator: ${kind}`);
  }
}

function builtInEvaluator(name: BuiltInOperator): OperatorEvaluator {
  const kind = BUILT_IN_KIND[name];
  return (a, b) => compareBuiltIn(kind, a, b);
}

const BUILT_IN_DECORATOR_DEFS: Record<BuiltInDecorator, { cb: DecoratorCallback; validator?: Validator }> = {
  someFact: { cb: (fv, jv, next) => (fv as ArrayLike).some((x) => next(x, jv)), validator: Array.isArray },
  someValue: { cb: (fv, jv, next) => (jv as ArrayLike).some((x) => next(fv, x)) },
  everyFact: { cb: (fv, jv, next) => (fv as ArrayLike).every((x) => next(x, jv)), validator: Array.isArray },
  everyValue: { cb: (fv, jv, next) => (jv as ArrayLike).every((x) => next(fv, x)) },
  swap: { cb: (fv, jv, next) => next(jv, fv) },
  not: { cb: (fv, jv, next) => !next(fv, jv) },
};

/** An operator resolved from its (possibly decorated) name. */
export interface ResolvedOperator {
  name: string;
  evaluate: OperatorEvaluator;
  /** Set when this is an undecorated, non-overridden built-in; the index and validation rely on its known behaviour. */
  builtIn?: BuiltInOperator;
  /** Decorator names from the outside in, e.g. `['someFact', 'not']` for `someFact:not:equal`. */
  decorators: string[];
  /** The innermost operator's name. */
  base: string;
}

interface OperatorEntry {
  evaluate: OperatorEvaluator;
  builtIn?: BuiltInOperator;
}
interface DecoratorEntry {
  cb: DecoratorCallback;
  validator?: Validator;
}

/**
 * The operators a rule set can use: built-ins, then custom ones (a custom operator with a built-in's
 * name replaces it, as `engine.addOperator` does).
 */
export class OperatorRegistry {
  private readonly operators = new Map<string, OperatorEntry>();
  private readonly decorators = new Map<string, DecoratorEntry>();
  private readonly resolved = new Map<string, ResolvedOperator | null>();

  constructor(custom: readonly CustomOperator[] = [], customDecorators: readonly CustomOperatorDecorator[] = []) {
    for (const name of BUILT_IN_OPERATORS)
      this.operators.set(name, { evaluate: builtInEvaluator(name), builtIn: name });
    for (const name of BUILT_IN_DECORATORS) this.decorators.set(name, BUILT_IN_DECORATOR_DEFS[name]);
    for (const op of custom) {
      if (!op.name) throw new Error('Missing operator name');
      const cb = op.evaluate.bind(op);
      const validator = op.factValueValidator?.bind(op);
      this.operators.set(String(op.name), {
        evaluate: validator ? (a, b) => validator(a) && cb(a, b) : (a, b) => cb(a, b),
      });
    }
    for (const dec of customDecorators) {
      if (!dec.name) throw new Error('Missing decorator name');
      this.decorators.set(String(dec.name), {
        cb: dec.evaluate.bind(dec) as DecoratorCallback,
        validator: dec.factValueValidator?.bind(dec),
      });
    }
  }

  /** Whether `name` is a decorator. */
  hasDecorator(name: string): boolean {
    return this.decorators.has(name);
  }

  /** Whether `name` is an (undecorated) operator. */
  hasOperator(name: string): boolean {
    return this.operators.has(name);
  }

  /** `OperatorMap.get`: peel `decorator:` prefixes until a known operator remains; null when unknown. */
  resolve(name: string): ResolvedOperator | null {
    const cached = this.resolved.get(name);
    if (cached !== undefined) return cached;
    const decoratorNames: string[] = [];
    const chain: DecoratorEntry[] = [];
    let opName = name;
    let result: ResolvedOperator | null = null;
    for (;;) {
      if (this.operators.has(opName)) {
        const entry = this.operators.get(opName) as OperatorEntry;
        let evaluate = entry.evaluate;
        // Applied innermost first, like the engine's unshift-then-loop.
        for (let i = chain.length - 1; i >= 0; i--) evaluate = decorate(chain[i], evaluate);
        result = {
          name,
          evaluate,
          builtIn: chain.length === 0 ? entry.builtIn : undefined,
          decorators: decoratorNames,
          base: opName,
        };
        break;
      }
      const colon = opName.indexOf(':');
      if (colon <= 0) break;
      const decorator = this.decorators.get(opName.slice(0, colon));
      if (!decorator) break;
      decoratorNames.push(opName.slice(0, colon));
      chain.push(decorator);
      opName = opName.slice(colon + 1);
    }
    this.resolved.set(name, result);
    return result;
  }
}

function decorate(decorator: DecoratorEntry, next: OperatorEvaluator): OperatorEvaluator {
  const { cb, validator } = decorator;
  return validator ? (fv, jv) => validator(fv) && cb(fv, jv, next) : (fv, jv) => cb(fv, jv, next);
}
