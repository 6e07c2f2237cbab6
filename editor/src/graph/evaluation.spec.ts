import { describe, expect, it } from 'vitest';
import { conditionOutcomes } from './evaluation';
import { toolWearRule } from './fixtures';

describe('conditionOutcomes', () => {
  it('takes a fact condition’s result from the engine', () => {
    const outcomes = conditionOutcomes(toolWearRule, [{ path: '$.conditions.all[0]', result: false }]);
    expect(outcomes['$.conditions.all[0]']).toBe('failed');
  });

  it('fails an `all` gate when one input failed', () => {
    const outcomes = conditionOutcomes(toolWearRule, [{ path: '$.conditions.all[0]', result: false }]);
    expect(outcomes['$.conditions']).toBe('failed');
  });

  it('passes an `any` gate when one input passed', () => {
    const outcomes = conditionOutcomes(toolWearRule, [{ path: '$.conditions.all[1].any[0]', result: true }]);
    expect(outcomes['$.conditions.all[1]']).toBe('passed');
  });

  it('inverts the input of a `not` gate', () => {
    const outcomes = conditionOutcomes(toolWearRule, [{ path: '$.conditions.all[2].not', result: false }]);
    expect(outcomes['$.conditions.all[2]']).toBe('passed');
  });

  it('marks conditions the engine did not evaluate as skipped', () => {
    const outcomes = conditionOutcomes(toolWearRule, [{ path: '$.conditions.all[0]', result: false }]);
    expect(outcomes['$.conditions.all[1].any[0]']).toBe('skipped');
  });

  it('prefers a gate result the engine reported over the derived one', () => {
    const outcomes = conditionOutcomes(toolWearRule, [{ path: '$.conditions', result: true }]);
    expect(outcomes['$.conditions']).toBe('passed');
  });
});
