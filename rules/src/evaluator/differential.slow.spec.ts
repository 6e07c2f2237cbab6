import { isDeepStrictEqual } from 'node:util';
import type {
  Condition,
  ConditionResult,
  RuleDefinition,
  RuleEvent,
  RuleSetFile,
  TopLevelCondition,
} from '@loopgate/contracts';
import fc from 'fast-check';
import { Engine, Operator, OperatorDecorator, Rule } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import type { EngineOptions } from './engine-runner';
import { compileRuleSet } from './evaluator';
import type { CustomOperator, CustomOperatorDecorator } from './operators';

/*
 * Differential test: random rule sets and facts through json-rules-engine 7 and through the
 * compiled evaluator; fired events, failure events and per-condition results must be identical.
 * The reference below drives json-rules-engine directly and shares no code with the evaluator.
 */

const CASES = Number(process.env.RULES_DIFFERENTIAL_CASES ?? 10_000);

const CUSTOM_OPERATORS: CustomOperator[] = [
  { name: 'approx', evaluate: (a, b) => typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1 },
  // Deliberately not a boolean: the engine treats `1` as passing in some places and not in others.
  { name: 'weird', evaluate: (a, b) => (typeof a === typeof b ? 1 : 0) as unknown as boolean },
  {
    name: 'startsWith',
    evaluate: (a, b) => (a as string).startsWith(String(b)),
    factValueValidator: (a) => typeof a === 'string',
  },
];
const CUSTOM_DECORATORS: CustomOperatorDecorator[] = [
  { name: 'lower', evaluate: (fv, jv, next) => next(typeof fv === 'string' ? fv.toLowerCase() : fv, jv) },
  { name: 'strict', evaluate: (fv, jv, next) => next(fv, jv), factValueValidator: (fv) => typeof fv === 'number' },
];

const BASE_OPERATORS = [
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
  'approx',
  'weird',
  'startsWith',
];
const DECORATORS = ['someFact', 'someValue', 'everyFact', 'everyValue', 'swap', 'not', 'lower', 'strict'];
const FACT_NAMES = ['a', 'b', 'c', 'list', 'obj', 'nothing'];
const PATHS = [
  '$.x',
  '$.y.z',
  "$['y']['z']",
  '$.list[0].x',
  '$.list[1]',
  '$.list[*].x',
  '$..x',
  '$.list[?(@.x > 1)].x',
  '$.missing.deeper',
  '$.s.length',
  '$.list.length',
];

// ---- generators --------------------------------------------------------------------------------

const scalar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3, 5, 10, -1, 2.5) },
  { weight: 3, arbitrary: fc.constantFrom('A', 'B', 'a', '10', 'abc', '', '2') },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);
const scalarArray = fc.array(scalar, { maxLength: 4 });
const objectFact = fc.record(
  {
    x: scalar,
    y: fc.record({ z: scalar }, { requiredKeys: [] }),
    s: fc.constantFrom('hello', 'A', ''),
    list: fc.array(fc.record({ x: scalar }), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const factValue = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 2, arbitrary: scalarArray },
  { weight: 2, arbitrary: objectFact },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const factName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', 'c') },
  { weight: 4, arbitrary: fc.constantFrom('list', 'obj') },
  { weight: 1, arbitrary: fc.constant('nothing') },
);
const maybePath = fc.option(fc.constantFrom(...PATHS), { freq: 3 });
const priority = fc.option(fc.integer({ min: 1, max: 3 }), { freq: 2 });

const operatorName = fc
  .tuple(
    fc.array(fc.constantFrom(...DECORATORS), { maxLength: 2 }),
    fc.oneof(
      { weight: 150, arbitrary: fc.constantFrom(...BASE_OPERATORS) },
      { weight: 1, arbitrary: fc.constant('bogus') },
    ),
  )
  .map(([decorators, base]) => [...decorators, base].join(':'));

const conditionValue = fc.oneof(
  { weight: 5, arbitrary: scalar },
  { weight: 4, arbitrary: scalarArray },
  { weight: 1, arbitrary: fc.constantFrom('hello', 'abc') },
  {
    weight: 2,
    arbitrary: fc.record({ fact: factName, path: fc.constantFrom(...PATHS) }, { requiredKeys: ['fact'] }),
  },
);

const factCondition = fc
  .record(
    {
      fact: factName,
      operator: operatorName,
      value: conditionValue,
      path: maybePath,
      params: fc.option(fc.constant({ unit: 'mm' }), { freq: 8 }),
      priority,
      listValue: scalarArray,
      keepValue: fc.integer({ min: 0, max: 4 }),
    },
    { requiredKeys: ['fact', 'operator', 'value', 'listValue', 'keepValue'] },
  )
  .map(({ listValue, keepValue, ...c }) => {
    // Mostly give list operators a list, so most cases get past the engine's TypeErrors.
    const wantsList = /(^|:)(someValue|everyValue|in|notIn)(:|$)/u.test(c.operator);
    const value = wantsList && keepValue > 0 && !Array.isArray(c.value) ? listValue : c.value;
    return dropNulls({ ...c, value }, ['path', 'params', 'priority']);
  });

/** What the equality index looks at: built-in operators on literals, no path, no decorator. */
const simpleCondition = fc
  .record(
    {
      fact: factName,
      operator: fc.oneof(
        { weight: 3, arbitrary: fc.constant('equal') },
        { weight: 4, arbitrary: fc.constantFrom(...BASE_OPERATORS.slice(0, 10)) },
      ),
      value: fc.oneof(
        { weight: 3, arbitrary: scalar },
        { weight: 1, arbitrary: scalarArray },
        { weight: 1, arbitrary: fc.constantFrom('hello', 'abc') },
      ),
      priority,
    },
    { requiredKeys: ['fact', 'operator', 'value'] },
  )
  .map((c) => dropNulls(c, ['priority']));

function tree(sharedNames: string[]) {
  const { condition } = fc.letrec<{ condition: Condition }>((tie) => ({
    condition: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: factCondition as fc.Arbitrary<Condition> },
      { weight: 4, arbitrary: simpleCondition as fc.Arbitrary<Condition> },
      {
        weight: 1,
        arbitrary: fc
          .record({ all: fc.array(tie('condition'), { maxLength: 4 }), priority }, { requiredKeys: ['all'] })
          .map(dropNulls) as fc.Arbitrary<Condition>,
      },
      {
        weight: 1,
        arbitrary: fc
          .record({ any: fc.array(tie('condition'), { maxLength: 4 }), priority }, { requiredKeys: ['any'] })
          .map(dropNulls) as fc.Arbitrary<Condition>,
      },
      {
        weight: 1,
        arbitrary: fc
          .record({ not: tie('condition'), priority }, { requiredKeys: ['not'] })
          .map(dropNulls) as fc.Arbitrary<Condition>,
      },
      {
        weight: 1,
        arbitrary: fc
          .record(
            { condition: fc.constantFrom(...sharedNames, 'undefinedShared'), priority },
            { requiredKeys: ['condition'] },
          )
          .map(dropNulls) as fc.Arbitrary<Condition>,
      },
    ),
  }));
  return condition;
}

function topLevel(sharedNames: string[]): fc.Arbitrary<TopLevelCondition> {
  const child = tree(sharedNames);
  const options: fc.Arbitrary<TopLevelCondition>[] = [
    fc.record({ all: fc.array(child, { maxLength: 5 }) }),
    // Shop-floor shape: "this machine/signal, and …" — what the equality index is for.
    fc.record({
      all: fc
        .tuple(
          fc.record(
            { fact: factName, operator: fc.constant('equal'), value: scalar, priority },
            { requiredKeys: ['fact', 'operator', 'value'] },
          ),
          fc.array(child, { maxLength: 3 }),
        )
        .map(([equality, rest]) => [dropNulls(equality, ['priority']) as Condition, ...rest]),
    }),
    fc.record({ any: fc.array(child, { maxLength: 4 }) }),
    fc.record({ not: child }),
  ];
  if (sharedNames.length > 0) options.push(fc.record({ condition: fc.constantFrom(...sharedNames) }));
  return fc.oneof(...options);
}

const eventParams = fc.option(
  fc
    .record(
      {
        level: fc.constantFrom('warn', 'act'),
        reading: fc.record({ fact: factName, path: fc.constantFrom(...PATHS) }, { requiredKeys: ['fact'] }),
      },
      { requiredKeys: ['level'] },
    )
    .map(dropNulls),
  { freq: 3 },
);

/** Shared conditions sc0..scN; each may refer only to earlier ones, so none loop. */
const sharedConditions = fc.integer({ min: 0, max: 2 }).chain((count) => {
  const names = Array.from({ length: count }, (_, i) => `sc${i}`);
  return fc.tuple(...names.map((_, i) => topLevel(names.slice(0, i)))).map((conditions) => ({
    names,
    shared: Object.fromEntries(names.map((name, i) => [name, conditions[i]])) as Record<string, TopLevelCondition>,
  }));
});

const ruleSetCase = sharedConditions.chain(({ names, shared }) =>
  fc.record({
    file: fc
      .array(fc.record({ priority, conditions: topLevel(names), params: eventParams }), { minLength: 1, maxLength: 5 })
      .map((rules): RuleSetFile => ({
        schemaVersion: 1,
        id: 'generated',
        name: 'Generated',
        facts: FACT_NAMES.map((name) => ({ name, type: 'number' as const })),
        ...(names.length > 0 ? { sharedConditions: shared } : {}),
        rules: rules.map(
          (r, i): RuleDefinition =>
            dropNulls({
              name: `r${i}`,
              priority: r.priority,
              conditions: r.conditions,
              event: dropNulls({ type: `event-${i}`, params: r.params }) as RuleEvent,
            }) as RuleDefinition,
        ),
      })),
    facts: fc.record(
      {
        a: factValue,
        b: factValue,
        c: factValue,
        list: fc.oneof({ weight: 4, arbitrary: scalarArray }, { weight: 1, arbitrary: factValue }),
        obj: fc.oneof({ weight: 4, arbitrary: objectFact }, { weight: 1, arbitrary: factValue }),
      },
      { requiredKeys: ['a', 'b', 'c'] },
    ),
    options: fc.record({
      allowUndefinedFacts: fc.boolean(),
      allowUndefinedConditions: fc.boolean(),
      replaceFactsInEventParams: fc.boolean(),
      factPriorities: fc.option(fc.record({ a: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 3 }) }), {
        freq: 3,
      }),
      // Results built in evaluate, or when first read: both must be the engine's.
      lazyResults: fc.boolean(),
    }),
  }),
);

/** Drops the given keys (all keys by default) where fc.option left null. */
function dropNulls<T extends object>(o: T, keys?: string[]): T {
  return Object.fromEntries(
    Object.entries(o).filter(([k, v]) => (keys && !keys.includes(k)) || (v !== null && v !== undefined)),
  ) as T;
}

// ---- the reference: json-rules-engine, driven directly ----------------------------------------

interface Outcome {
  error?: unknown;
  events?: RuleEvent[];
  failureEvents?: RuleEvent[];
  results?: { name: string; priority: number; result: unknown; event: RuleEvent; conditions: ConditionResult[] }[];
}

function engineOptions(
  o: {
    allowUndefinedFacts: boolean;
    allowUndefinedConditions: boolean;
    replaceFactsInEventParams: boolean;
    factPriorities: { a: number; c: number } | null;
  },
  facts: Record<string, unknown>,
): EngineOptions {
  return {
    allowUndefinedFacts: o.allowUndefinedFacts,
    allowUndefinedConditions: o.allowUndefinedConditions,
    replaceFactsInEventParams: o.replaceFactsInEventParams,
    operators: CUSTOM_OPERATORS,
    operatorDecorators: CUSTOM_DECORATORS,
    // Engine-level facts carry priorities; runtime facts of the same name override their values.
    facts: o.factPriorities
      ? Object.entries(o.factPriorities).map(([id, p]) => ({
          id,
          value: Object.hasOwn(facts, id) ? facts[id] : 7,
          priority: p,
        }))
      : undefined,
  };
}

async function reference(file: RuleSetFile, options: EngineOptions, facts: Record<string, unknown>): Promise<Outcome> {
  const engine = new Engine([], {
    allowUndefinedFacts: options.allowUndefinedFacts,
    allowUndefinedConditions: options.allowUndefinedConditions,
    replaceFactsInEventParams: options.replaceFactsInEventParams,
  });
  for (const op of CUSTOM_OPERATORS) engine.addOperator(new Operator(op.name, op.evaluate, op.factValueValidator));
  for (const d of CUSTOM_DECORATORS)
    engine.addOperatorDecorator(new OperatorDecorator(d.name, d.evaluate, d.factValueValidator));
  for (const f of options.facts ?? []) engine.addFact(f.id, f.value, { priority: f.priority });
  for (const [name, c] of Object.entries(file.sharedConditions ?? {}))
    engine.setCondition(name, structuredClone(c) as never);
  const indexOf = new Map<unknown, number>();
  file.rules.forEach((r, i) => {
    const rule = new Rule(structuredClone(r) as never) as unknown as {
      on(e: string, l: (...a: unknown[]) => void): void;
    };
    rule.on('success', (_e, _a, result) => indexOf.set(result, i));
    rule.on('failure', (_e, _a, result) => indexOf.set(result, i));
    engine.addRule(rule as never);
  });
  let run;
  try {
    run = await engine.run(facts);
  } catch (error) {
    return { error };
  }
  const all = [...run.results, ...run.failureResults];
  const priorityOf = (r: unknown) => (r as { priority: number }).priority;
  // Engine order within a priority follows promise timing; ours is the written order.
  all.sort((x, y) => priorityOf(y) - priorityOf(x) || (indexOf.get(x) as number) - (indexOf.get(y) as number));
  // Every fired event the engine reports must be one of the results, and vice versa.
  expect([...run.events].sort(byType)).toEqual(
    all
      .filter((r) => r.result)
      .map((r) => r.event as RuleEvent)
      .sort(byType),
  );
  return {
    events: all.filter((r) => r.result).map((r) => r.event as RuleEvent),
    failureEvents: all.filter((r) => !r.result).map((r) => r.event as RuleEvent),
    results: all.map((r) => ({
      name: r.name,
      priority: r.priority as number,
      result: r.result,
      event: r.event as RuleEvent,
      conditions: conditionsOf(r.conditions),
    })),
  };
}

const byType = (x: { type: string }, y: { type: string }) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0);

/** Evaluated conditions (those the engine gave a `result`), in tree order, below the root. */
function conditionsOf(root: unknown): ConditionResult[] {
  const out: ConditionResult[] = [];
  const walk = (node: Record<string, unknown>, path: string, isRoot: boolean) => {
    const own = (k: string) => Object.prototype.hasOwnProperty.call(node, k);
    const gate = ['any', 'all', 'not'].find(own);
    if (!isRoot) {
      if (!own('result')) return;
      if (gate || own('condition')) out.push({ path, result: node.result as boolean });
      else {
        out.push({
          path,
          fact: node.fact as string,
          operator: node.operator as string,
          value: node.valueResult,
          factValue: node.factResult,
          result: node.result as boolean,
        });
      }
    }
    if (own('condition') || !gate) return;
    if (gate === 'not') walk(node.not as Record<string, unknown>, `${path}.not`, false);
    else (node[gate] as Record<string, unknown>[]).forEach((c, i) => walk(c, `${path}.${gate}[${i}]`, false));
  };
  walk(root as Record<string, unknown>, '$.conditions', true);
  return out;
}

function attempt<T>(fn: () => T): { value?: T; error?: unknown } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}

// ---- the comparison ----------------------------------------------------------------------------

describe('compiled evaluator against json-rules-engine 7', () => {
  it(`gives identical events, failure events and condition results on ${CASES} random cases`, async () => {
    let compared = 0;
    let errored = 0;
    let fired = 0;
    let indexed = 0;
    await fc.assert(
      fc.asyncProperty(ruleSetCase, async ({ file, facts, options: generated }) => {
        // A missing reference makes the engine throw synchronously mid-map, abandoning sibling
        // promises as unhandled rejections; that path has its own unit test.
        const options = JSON.stringify(file).includes('undefinedShared')
          ? { ...generated, allowUndefinedConditions: true }
          : generated;
        const engineOpts = engineOptions(options, facts);
        const expected = await reference(file, engineOpts, facts);
        const evaluator = compileRuleSet(file, { ...engineOpts, lazyResults: options.lazyResults });
        if (evaluator.indexedRuleCount > 0) indexed++;
        const full = attempt(() => evaluator.evaluate(facts));
        const fast = attempt(() => evaluator.events(facts));
        compared++;
        if (expected.error !== undefined) {
          errored++;
          if (full.error === undefined) throw new Error(`engine threw ${String(expected.error)}; evaluate() did not`);
          if (fast.error === undefined) throw new Error(`engine threw ${String(expected.error)}; events() did not`);
          return;
        }
        if (full.error !== undefined) throw full.error;
        if (fast.error !== undefined) throw fast.error;
        const actual = full.value!;
        if (actual.events.length > 0) fired++;
        if (!isDeepStrictEqual(actual.events, expected.events)) expect(actual.events).toStrictEqual(expected.events);
        if (!isDeepStrictEqual(actual.failureEvents, expected.failureEvents)) {
          expect(actual.failureEvents).toStrictEqual(expected.failureEvents);
        }
        if (!isDeepStrictEqual(actual.results, expected.results))
          expect(actual.results).toStrictEqual(expected.results);
        if (!isDeepStrictEqual(fast.value, expected.events)) expect(fast.value).toStrictEqual(expected.events);
      }),
      {
        numRuns: CASES,
        seed: process.env.RULES_DIFFERENTIAL_SEED ? Number(process.env.RULES_DIFFERENTIAL_SEED) : undefined,
      },
    );
    expect(compared).toBe(CASES);
    // The generator must keep exercising both outcomes, or the comparison proves little.
    expect(errored).toBeGreaterThan(CASES * 0.02);
    expect(errored).toBeLessThan(CASES * 0.6);
    expect(fired).toBeGreaterThan(CASES * 0.2);
    expect(indexed).toBeGreaterThan(CASES * 0.1);
  }, 110_000);

  it('hands computed and promised facts to json-rules-engine with the same results as plain values', async () => {
    await fc.assert(
      fc.asyncProperty(
        ruleSetCase,
        fc.constantFrom('function', 'promise', 'async function'),
        async ({ file, facts, options: generated }, how) => {
          const options = { ...generated, allowUndefinedConditions: true };
          const engineOpts = engineOptions(options, facts);
          const evaluator = compileRuleSet(file, { ...engineOpts, lazyResults: options.lazyResults });
          const wrapped = Object.fromEntries(
            Object.entries(facts).map(([k, v]) => [
              k,
              how === 'function' ? () => v : how === 'promise' ? Promise.resolve(v) : async () => v,
            ]),
          );
          const plain = attempt(() => evaluator.evaluate(facts));
          let viaEngine: { value?: unknown; error?: unknown };
          try {
            viaEngine = { value: await evaluator.evaluateAsync(wrapped) };
          } catch (error) {
            viaEngine = { error };
          }
          expect(viaEngine.error === undefined).toBe(plain.error === undefined);
          if (plain.error === undefined) expect(viaEngine.value).toStrictEqual(plain.value);
        },
      ),
      { numRuns: Math.ceil(CASES / 10) },
    );
  }, 60_000);
});
