import type { RuleSetFile } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { AsyncFactError } from '../evaluator/errors';
import { LOOPGATE_RULE_OPTIONS, compileRuleSet } from '../evaluator/evaluator';
import { validateRuleSet } from '../file/validate';
import { DerivedFactError, DerivedFacts, checkDerivedExpression, derivedFactReads } from './derived-facts';

const reduced = { name: 'reducedFeedRate', type: 'number' as const, expression: '$round(feedRate * 0.95, -1)' };

const toolWear = (): RuleSetFile => ({
  schemaVersion: 2,
  id: 'tool-wear',
  name: 'Tool wear',
  facts: [
    { name: 'spindleLoad', type: 'number', unit: '%' },
    { name: 'toolWearScore', type: 'number' },
    { name: 'feedRate', type: 'number', unit: 'mm/min' },
  ],
  derivedFacts: [{ ...reduced, unit: 'mm/min' }],
  rules: [
    {
      name: 'reduce-feed',
      conditions: {
        all: [
          { fact: 'spindleLoad', operator: 'greaterThan', value: 85 },
          { fact: 'toolWearScore', operator: 'greaterThan', value: 0.7 },
          { fact: 'reducedFeedRate', operator: 'greaterThanInclusive', value: 600 },
        ],
      },
      event: {
        type: 'writeback',
        params: { action: 'set-parameter', parameter: 'FeedRate', value: { fact: 'reducedFeedRate' } },
      },
    },
  ],
});

describe('DerivedFacts', () => {
  it('computes "feed rate × 0.95, rounded to 10"', async () => {
    expect(await new DerivedFacts([reduced]).derive({ feedRate: 1234 })).toEqual({ reducedFeedRate: 1170 });
  });

  it('lets a derived fact read an earlier one', async () => {
    const facts = new DerivedFacts([
      reduced,
      { name: 'step', type: 'number', expression: 'feedRate - reducedFeedRate' },
    ]);
    expect(await facts.derive({ feedRate: 1000 })).toEqual({ reducedFeedRate: 950, step: 50 });
  });

  it('leaves a derived fact undefined when its input is missing', async () => {
    expect(await new DerivedFacts([reduced]).derive({})).toEqual({});
  });

  it('refuses a value of the declared type’s opposite', async () => {
    const wrong = new DerivedFacts([{ name: 'label', type: 'number', expression: '"fast"' }]);
    await expect(wrong.derive({})).rejects.toMatchObject({ code: 'DERIVED_FACT_TYPE', fact: 'label' });
  });

  it('refuses $now() at run time, even in an expression that skipped validation', async () => {
    const clock = new DerivedFacts([{ name: 't', type: 'number', expression: '$millis()' }]);
    await expect(clock.derive({})).rejects.toBeInstanceOf(DerivedFactError);
  });

  it('stops an expression that runs away', async () => {
    const loop = new DerivedFacts([
      { name: 'n', type: 'number', expression: '($f := function($x) { $f($x + 1) }; $f(0))' },
    ]);
    await expect(loop.derive({})).rejects.toMatchObject({ code: 'EXPRESSION_FAILED' });
  });
});

describe('checkDerivedExpression', () => {
  const known = new Set(['feedRate']);

  it('accepts arithmetic over known facts', () => {
    expect(checkDerivedExpression(reduced.expression, known, '$.e')).toEqual([]);
  });

  it('reports a syntax error with its position', () => {
    expect(checkDerivedExpression('feedRate *', known, '$.e')).toEqual([
      expect.objectContaining({ code: 'INVALID_EXPRESSION', path: '$.e' }),
    ]);
  });

  it('reports a fact that is not declared', () => {
    expect(checkDerivedExpression('feedrate * 0.95', known, '$.e').map((i) => i.code)).toEqual(['UNKNOWN_FACT']);
  });

  it('refuses nondeterministic functions', () => {
    expect(checkDerivedExpression('feedRate + $random()', known, '$.e').map((i) => i.code)).toEqual([
      'FORBIDDEN_FUNCTION',
    ]);
  });

  it('names the facts an expression reads, for the console', () => {
    expect(derivedFactReads('$round(feedRate * ratio.value, -1)')).toEqual(['feedRate', 'ratio']);
  });
});

describe('derived facts in a rule set', () => {
  it('are validated in order: a derived fact cannot read a later one', () => {
    const file = toolWear();
    file.derivedFacts = [
      ...file.derivedFacts!,
      { name: 'a', type: 'number', expression: 'b + 1' },
      { name: 'b', type: 'number', expression: 'feedRate' },
    ];
    expect(validateRuleSet(file).map((i) => `${i.code} ${i.path}`)).toEqual([
      'UNKNOWN_FACT $.derivedFacts[1].expression',
    ]);
  });

  it('may be used by conditions and event params like any fact', () => {
    expect(validateRuleSet(toolWear())).toEqual([]);
  });

  it('are computed before the rules run, and the event carries the derived value', async () => {
    const evaluator = compileRuleSet(toolWear(), LOOPGATE_RULE_OPTIONS);
    const result = await evaluator.evaluateAsync({ spindleLoad: 91, toolWearScore: 0.72, feedRate: 1234 });
    expect(result.derivedFacts).toEqual({ reducedFeedRate: 1170 });
    expect(result.events[0].params?.value).toBe(1170);
  });

  it('decide a condition on their value: 580 fails "≥ 600"', async () => {
    const evaluator = compileRuleSet(toolWear(), LOOPGATE_RULE_OPTIONS);
    const result = await evaluator.evaluateAsync({ spindleLoad: 91, toolWearScore: 0.72, feedRate: 610 });
    expect(result.results[0].conditions.find((c) => c.fact === 'reducedFeedRate')).toMatchObject({
      factValue: 580,
      result: false,
    });
  });

  it('cannot be overridden by a fact of the same name from the caller', async () => {
    const events = await compileRuleSet(toolWear(), LOOPGATE_RULE_OPTIONS).eventsAsync({
      spindleLoad: 91,
      toolWearScore: 0.72,
      feedRate: 1000,
      reducedFeedRate: 5000,
    });
    expect(events[0].params?.value).toBe(950);
  });

  it('make the synchronous paths refuse, rather than run without them', () => {
    expect(() => compileRuleSet(toolWear(), LOOPGATE_RULE_OPTIONS).events({ feedRate: 1 })).toThrow(AsyncFactError);
  });
});
