import type { RuleDefinition, RuleSetFile } from '@loopgate/contracts';
import { Engine, Fact } from 'json-rules-engine';
import { describe, expect, it, vi } from 'vitest';
import { AsyncFactError, RuleSetCompileError, UndefinedFactError } from './errors';
import { LOOPGATE_RULE_OPTIONS, compileRuleSet } from './evaluator';

function ruleSet(rules: RuleDefinition[], extra: Partial<RuleSetFile> = {}): RuleSetFile {
  return { schemaVersion: 1, id: 'cell', name: 'Cell', facts: [], rules, ...extra };
}

const overload: RuleDefinition = {
  name: 'spindle-overload',
  conditions: {
    all: [
      { fact: 'machineId', operator: 'equal', value: 'CNC-07' },
      { fact: 'spindleLoad', operator: 'greaterThan', value: 85 },
    ],
  },
  event: {
    type: 'writeback',
    params: { action: 'set-parameter', parameter: 'FeedRate', value: { fact: 'compensatedFeedRate' } },
  },
};

describe('compileRuleSet', () => {
  it('refuses a structurally invalid file with its issues', () => {
    const bad = ruleSet([
      { name: 'r', conditions: { all: [{ fact: 'x', operator: 'equal' } as never] }, event: { type: 't' } },
    ]);
    expect(() => compileRuleSet(bad)).toThrow(RuleSetCompileError);
    try {
      compileRuleSet(bad);
    } catch (error) {
      expect((error as RuleSetCompileError).issues).toEqual([
        expect.objectContaining({ code: 'REQUIRED', path: '$.rules[0].conditions.all[0].value' }),
      ]);
    }
  });

  it('refuses shared conditions that loop, which would hang the engine', () => {
    const looping = ruleSet([{ name: 'r', conditions: { condition: 'a' }, event: { type: 't' } }], {
      sharedConditions: { a: { all: [{ condition: 'b' }] }, b: { any: [{ condition: 'a' }] } },
    });
    expect(() => compileRuleSet(looping)).toThrow(/refers to itself/u);
  });
});

describe('evaluate', () => {
  it('fires the rule and reports each evaluated condition with its path and fact value', () => {
    const result = compileRuleSet(ruleSet([overload]), LOOPGATE_RULE_OPTIONS).evaluate({
      machineId: 'CNC-07',
      spindleLoad: 91,
      compensatedFeedRate: 1104,
    });
    const event = { type: 'writeback', params: { action: 'set-parameter', parameter: 'FeedRate', value: 1104 } };
    expect(result).toEqual({
      events: [event],
      failureEvents: [],
      results: [
        {
          name: 'spindle-overload',
          priority: 1,
          result: true,
          event,
          conditions: [
            {
              path: '$.conditions.all[0]',
              fact: 'machineId',
              operator: 'equal',
              value: 'CNC-07',
              factValue: 'CNC-07',
              result: true,
            },
            {
              path: '$.conditions.all[1]',
              fact: 'spindleLoad',
              operator: 'greaterThan',
              value: 85,
              factValue: 91,
              result: true,
            },
          ],
        },
      ],
    });
  });

  it('leaves out conditions the engine short-circuited past', () => {
    const rule: RuleDefinition = {
      name: 'r',
      conditions: {
        all: [
          { fact: 'machineId', operator: 'equal', value: 'CNC-07', priority: 2 },
          { fact: 'spindleLoad', operator: 'greaterThan', value: 85 },
        ],
      },
      event: { type: 't' },
    };
    const [result] = compileRuleSet(ruleSet([rule])).evaluate({ machineId: 'CNC-01', spindleLoad: 91 }).results;
    expect(result.conditions.map((c) => c.path)).toEqual(['$.conditions.all[0]']);
    expect(result.result).toBe(false);
  });

  it('lists results by rule priority, highest first, then as written', () => {
    const rule = (name: string, priority?: number): RuleDefinition => ({
      name,
      priority,
      conditions: { all: [] },
      event: { type: name },
    });
    const { results, events } = compileRuleSet(ruleSet([rule('a'), rule('b', 3), rule('c'), rule('d', 2)])).evaluate(
      {},
    );
    expect(results.map((r) => r.name)).toEqual(['b', 'd', 'a', 'c']);
    expect(events.map((e) => e.type)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('shows shared conditions realized under the reference, as the engine does', () => {
    const file = ruleSet([{ name: 'r', conditions: { all: [{ condition: 'hot' }] }, event: { type: 't' } }], {
      sharedConditions: { hot: { any: [{ fact: 'temperature', operator: 'greaterThan', value: 80 }] } },
    });
    const [result] = compileRuleSet(file).evaluate({ temperature: 90 }).results;
    expect(result.conditions).toEqual([
      { path: '$.conditions.all[0]', result: true },
      {
        path: '$.conditions.all[0].any[0]',
        fact: 'temperature',
        operator: 'greaterThan',
        value: 80,
        factValue: 90,
        result: true,
      },
    ]);
  });

  it('compares a fact with another fact and reads a path inside an object fact', () => {
    const rule: RuleDefinition = {
      name: 'r',
      conditions: {
        all: [
          {
            fact: 'lot',
            path: '$.certificate.moisture',
            operator: 'greaterThan',
            value: { fact: 'limits', path: '$.moisture' },
          },
        ],
      },
      event: { type: 't' },
    };
    const result = compileRuleSet(ruleSet([rule])).evaluate({
      lot: { certificate: { moisture: 0.7 } },
      limits: { moisture: 0.5 },
    });
    expect(result.results[0].conditions[0]).toEqual(
      expect.objectContaining({ value: 0.5, factValue: 0.7, result: true }),
    );
  });

  it('returns the same frozen event objects every time instead of copying them', () => {
    const evaluator = compileRuleSet(
      ruleSet([{ name: 'r', conditions: { all: [] }, event: { type: 't', params: { action: 'hold-lot' } } }]),
    );
    const first = evaluator.evaluate({}).events[0];
    expect(evaluator.events({})[0]).toBe(first);
    expect(Object.isFrozen(first.params)).toBe(true);
  });

  it('throws the engine’s UndefinedFactError for a missing fact', () => {
    const evaluator = compileRuleSet(ruleSet([overload]));
    expect(() => evaluator.evaluate({ machineId: 'CNC-07' })).toThrow(UndefinedFactError);
    expect(() => evaluator.evaluate({ machineId: 'CNC-07' })).toThrow('Undefined fact: spindleLoad');
  });

  it('treats a missing fact as undefined with allowUndefinedFacts', () => {
    const result = compileRuleSet(ruleSet([overload]), { allowUndefinedFacts: true }).evaluate({ machineId: 'CNC-07' });
    expect(result.results[0].conditions[1]).toEqual(expect.objectContaining({ factValue: undefined, result: false }));
  });

  it('throws like the engine for a reference to a missing shared condition', async () => {
    const file = ruleSet([{ name: 'r', conditions: { all: [{ condition: 'gone' }] }, event: { type: 't' } }]);
    const engine = new Engine([structuredClone(file.rules[0]) as never]);
    await expect(engine.run({})).rejects.toThrow('No condition gone exists');
    expect(() => compileRuleSet(file).evaluate({})).toThrow('No condition gone exists');
    expect(compileRuleSet(file, { allowUndefinedConditions: true }).evaluate({}).results[0].conditions).toEqual([
      { path: '$.conditions.all[0]', result: false },
    ]);
  });

  it('refuses an empty fact name like engine.run does', () => {
    expect(() => compileRuleSet(ruleSet([overload])).evaluate({ '': 1 })).toThrow('factId required');
  });

  it('reads facts from any object the way for…in does', () => {
    class Reading {
      spindleLoad = 91;
    }
    const facts = Object.assign(Object.create({ machineId: 'CNC-07' }), new Reading(), { compensatedFeedRate: 1 });
    expect(compileRuleSet(ruleSet([overload])).events(facts)).toHaveLength(1);
  });

  it('uses a custom path resolver like the engine', () => {
    const rule: RuleDefinition = {
      name: 'r',
      conditions: { all: [{ fact: 'tags', path: 'Spindle/Load', operator: 'greaterThan', value: 85 }] },
      event: { type: 't' },
    };
    const pathResolver = (value: object, path: string) => (value as Record<string, unknown>)[path];
    expect(compileRuleSet(ruleSet([rule]), { pathResolver }).events({ tags: { 'Spindle/Load': 90 } })).toHaveLength(1);
  });

  it('lets a custom operator evaluate the same rule set again', () => {
    const holder: { evaluator?: ReturnType<typeof compileRuleSet> } = {};
    const rule: RuleDefinition = {
      name: 'r',
      conditions: { all: [{ fact: 'x', operator: 'nested', value: 1 }] },
      event: { type: 't' },
    };
    const nested = {
      name: 'nested',
      evaluate: (x: unknown) => (x === 1 ? holder.evaluator!.events({ x: 2 }).length === 0 : false),
    };
    holder.evaluator = compileRuleSet(ruleSet([rule]), { operators: [nested] });
    expect(holder.evaluator.events({ x: 1 })).toHaveLength(1);
  });
});

describe('computed and asynchronous facts', () => {
  const file = ruleSet([overload]);

  it('refuses them synchronously', () => {
    const evaluator = compileRuleSet(file);
    expect(() => evaluator.evaluate({ machineId: 'CNC-07', spindleLoad: () => 91 })).toThrow(AsyncFactError);
    expect(() => evaluator.events({ machineId: 'CNC-07', spindleLoad: Promise.resolve(91) })).toThrow(AsyncFactError);
    expect(() => evaluator.events({ machineId: 'CNC-07', spindleLoad: new Fact('spindleLoad', 91) })).toThrow(
      AsyncFactError,
    );
  });

  it('hands them to json-rules-engine in evaluateAsync', async () => {
    const evaluator = compileRuleSet(file, LOOPGATE_RULE_OPTIONS);
    const facts = { machineId: 'CNC-07', spindleLoad: async () => 91, compensatedFeedRate: Promise.resolve(1104) };
    const result = await evaluator.evaluateAsync(facts);
    expect(result.events).toEqual([
      { type: 'writeback', params: { action: 'set-parameter', parameter: 'FeedRate', value: 1104 } },
    ]);
    expect(result.results[0].conditions[1]).toEqual(expect.objectContaining({ factValue: 91, result: true }));
    expect(await evaluator.eventsAsync(facts)).toEqual(result.events);
  });

  it('computes facts defined when compiling through the engine', async () => {
    const calculate = vi.fn(async () => 'CNC-07');
    const evaluator = compileRuleSet(file, { ...LOOPGATE_RULE_OPTIONS, facts: [{ id: 'machineId', calculate }] });
    const events = await evaluator.eventsAsync({ spindleLoad: 91, compensatedFeedRate: 1 });
    expect(events).toHaveLength(1);
    expect(calculate).toHaveBeenCalled();
  });

  it('rejects like the engine when a fact is missing', async () => {
    await expect(compileRuleSet(file).evaluateAsync({ machineId: async () => 'CNC-07' })).rejects.toThrow(
      'Undefined fact: spindleLoad',
    );
  });

  it('evaluates plain facts without the engine', async () => {
    const evaluator = compileRuleSet(file, LOOPGATE_RULE_OPTIONS);
    const run = vi.spyOn(Engine.prototype, 'run');
    await evaluator.evaluateAsync({ machineId: 'CNC-07', spindleLoad: 91, compensatedFeedRate: 1 });
    expect(run).not.toHaveBeenCalled();
    run.mockRestore();
  });
});

describe('equality index', () => {
  const machines = Array.from({ length: 50 }, (_, i) => `CNC-${String(i).padStart(2, '0')}`);
  const calls: unknown[] = [];
  const watched = {
    name: 'watched',
    evaluate: (load: unknown, limit: unknown) => (calls.push(load), (load as number) > (limit as number)),
  };
  const rules: RuleDefinition[] = machines.map((machineId) => ({
    name: `overload-${machineId}`,
    conditions: {
      all: [
        { fact: 'machineId', operator: 'equal', value: machineId, priority: 2 },
        { fact: 'spindleLoad', operator: 'watched', value: 85 },
      ],
    },
    event: { type: 'writeback', params: { machineId } },
  }));

  it('indexes rules whose first conditions are simple and one is an equality', () => {
    expect(compileRuleSet(ruleSet(rules), { operators: [watched] }).indexedRuleCount).toBe(50);
  });

  it('evaluates only the rules that can match the event', () => {
    const evaluator = compileRuleSet(ruleSet(rules), { operators: [watched] });
    calls.length = 0;
    expect(evaluator.events({ machineId: 'CNC-17', spindleLoad: 90 })).toEqual([
      { type: 'writeback', params: { machineId: 'CNC-17' } },
    ]);
    expect(calls).toEqual([90]);
  });

  it('falls back to evaluating every rule when a skipped rule would have failed in the engine', () => {
    const evaluator = compileRuleSet(ruleSet(rules), { operators: [watched] });
    // machineId missing: every rule's first condition throws in the engine, so must here.
    expect(() => evaluator.events({ spindleLoad: 90 })).toThrow('Undefined fact: machineId');
  });

  it('does not index a rule whose first set holds a custom operator', () => {
    const custom = rules.map((r) => ({
      ...r,
      conditions: {
        all: [...(r.conditions as { all: never[] }).all].map((c, i) =>
          i === 1 ? { ...(c as object), priority: 2 } : c,
        ),
      },
    }));
    expect(compileRuleSet(ruleSet(custom as RuleDefinition[]), { operators: [watched] }).indexedRuleCount).toBe(0);
  });
});

describe('results of a large rule set', () => {
  // 80 rules of 4 conditions: enough condition ids for results to be built when first read.
  const machines = Array.from({ length: 80 }, (_, i) => `CNC-${String(i).padStart(2, '0')}`);
  const file = ruleSet(
    machines.map((machineId) => ({
      name: `overload-${machineId}`,
      conditions: {
        all: [
          { fact: 'machineId', operator: 'equal', value: machineId },
          { fact: 'spindleLoad', operator: 'greaterThan', value: 85 },
          { not: { fact: 'maintenanceMode', operator: 'equal', value: true } },
        ],
      },
      event: { type: 'writeback', params: { machineId, load: { fact: 'spindleLoad' } } },
    })),
  );
  const facts = { machineId: 'CNC-07', spindleLoad: 91, maintenanceMode: false };
  const evaluator = compileRuleSet(file, LOOPGATE_RULE_OPTIONS);

  /** The same result as json-rules-engine's run would give, built eagerly. */
  function eagerCopy(facts: Record<string, unknown>) {
    const result = evaluator.evaluate(facts);
    return { events: result.events, failureEvents: result.failureEvents, results: result.results };
  }

  it('builds failure events and condition results when first read, then keeps them as plain properties', () => {
    const result = evaluator.evaluate(facts);
    expect(Object.getOwnPropertyDescriptor(result, 'results')?.get).toBeTypeOf('function');
    const results = result.results;
    expect(result.results).toBe(results);
    expect(Object.getOwnPropertyDescriptor(result, 'results')).toEqual({
      value: results,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    expect(Object.keys(result)).toEqual(['events', 'failureEvents', 'results']);
  });

  it('serializes, clones and compares like a result built eagerly', () => {
    const expected = eagerCopy(facts);
    expect(JSON.stringify(evaluator.evaluate(facts))).toBe(JSON.stringify(expected));
    expect(structuredClone(evaluator.evaluate(facts))).toStrictEqual(expected);
    expect(evaluator.evaluate(facts)).toStrictEqual(expected);
    expect({ ...evaluator.evaluate(facts) }).toStrictEqual(expected);
  });

  it('describes its own evaluation when read after later ones', () => {
    const expected = eagerCopy(facts);
    const first = evaluator.evaluate(facts);
    evaluator.evaluate({ machineId: 'CNC-01', spindleLoad: 12, maintenanceMode: true });
    expect(first).toStrictEqual(expected);
    expect(first.results.find((r) => r.result)?.conditions[1]).toEqual(
      expect.objectContaining({ fact: 'spindleLoad', factValue: 91, result: true }),
    );
  });

  it('takes assignments like plain properties', () => {
    const result = evaluator.evaluate(facts);
    result.failureEvents = [];
    result.results = [];
    expect(result).toStrictEqual({ events: result.events, failureEvents: [], results: [] });
  });

  it('gives a fired event as the same object in events and in its rule’s result', () => {
    for (const size of [1, machines.length]) {
      const result = compileRuleSet({ ...file, rules: file.rules.slice(0, size) }, LOOPGATE_RULE_OPTIONS).evaluate({
        ...facts,
        machineId: 'CNC-00',
      });
      expect(result.events).toHaveLength(1);
      expect(result.results.find((r) => r.result)?.event).toBe(result.events[0]);
    }
  });
});

describe('fact reads', () => {
  it('resolves a plain path once per evaluation for every condition that reads it', () => {
    let reads = 0;
    const lot = {
      get certificate() {
        reads++;
        return { moisture: 0.7 };
      },
    };
    const rules: RuleDefinition[] = [0.5, 0.6, 0.8].map((limit, i) => ({
      name: `r${i}`,
      conditions: { all: [{ fact: 'lot', path: '$.certificate.moisture', operator: 'greaterThan', value: limit }] },
      event: { type: `t${i}` },
    }));
    const result = compileRuleSet(ruleSet(rules)).evaluate({ lot });
    expect(result.events.map((e) => e.type)).toEqual(['t0', 't1']);
    expect(reads).toBe(1);
  });

  it('calls a custom path resolver for each condition, as the engine does', () => {
    const pathResolver = vi.fn((value: object, path: string) => (value as Record<string, unknown>)[path]);
    const rules: RuleDefinition[] = [85, 95].map((limit, i) => ({
      name: `r${i}`,
      conditions: { all: [{ fact: 'tags', path: 'Spindle/Load', operator: 'greaterThan', value: limit }] },
      event: { type: `t${i}` },
    }));
    compileRuleSet(ruleSet(rules), { pathResolver }).evaluate({ tags: { 'Spindle/Load': 90 } });
    expect(pathResolver).toHaveBeenCalledTimes(2);
  });

  it('compares a fact value as often as json-rules-engine does', async () => {
    // parseFloat and `>` call toString and valueOf: the count shows which comparisons ran.
    const counting = () => {
      const calls = { count: 0 };
      const load = {
        valueOf: () => (calls.count++, 90),
        toString: () => (calls.count++, '90'),
      };
      return { calls, facts: { load } };
    };
    // The first set always runs, the second because the first holds, the third not: the second fails.
    const rule: RuleDefinition = {
      name: 'r',
      conditions: {
        all: [
          { fact: 'load', operator: 'greaterThan', value: 85, priority: 3 },
          { not: { fact: 'load', operator: 'lessThan', value: 10 }, priority: 3 },
          { any: [{ fact: 'load', operator: 'greaterThan', value: 95 }], priority: 2 },
          { fact: 'load', operator: 'greaterThanInclusive', value: 100 },
          { all: [{ fact: 'load', operator: 'lessThan', value: 50 }] },
        ],
      },
      event: { type: 't' },
    };
    const viaEngine = counting();
    await new Engine([structuredClone(rule) as never]).run(viaEngine.facts);
    const compiled = counting();
    compileRuleSet(ruleSet([rule])).evaluate(compiled.facts);
    expect(viaEngine.calls.count).toBeGreaterThan(0);
    expect(compiled.calls.count).toBe(viaEngine.calls.count);
  });

  it('fails like the engine when the event of a rule that did not fire reads a missing fact', async () => {
    const file = ruleSet([
      { ...overload, name: 'fires', conditions: { all: [] }, event: { type: 't' } },
      { ...overload, name: 'does-not-fire' },
    ]);
    const facts = { machineId: 'CNC-01', spindleLoad: 91 };
    await expect(new Engine(structuredClone(file.rules) as never, LOOPGATE_RULE_OPTIONS).run(facts)).rejects.toThrow(
      'Undefined fact: compensatedFeedRate',
    );
    expect(() => compileRuleSet(file, LOOPGATE_RULE_OPTIONS).evaluate(facts)).toThrow(
      'Undefined fact: compensatedFeedRate',
    );
  });
});
