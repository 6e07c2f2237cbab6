import { describe, expect, it } from 'vitest';
import { operatorLabel, operatorsFor, valueKind } from './operator-choice';

const load = { name: 'spindleLoad', type: 'number' as const };
const state = { name: 'machineState', type: 'string' as const };

describe('operators', () => {
  it('offers comparisons for a number fact', () => {
    expect(operatorsFor(load)).toContain('greaterThan');
  });

  it('does not offer comparisons for a string fact', () => {
    expect(operatorsFor(state)).not.toContain('greaterThan');
  });

  it('offers contains for an array fact', () => {
    expect(operatorsFor({ name: 'alarms', type: 'array' })).toContain('contains');
  });

  it('offers every built-in operator when a path selects inside the fact', () => {
    expect(operatorsFor(state, { path: '$.x' })).toContain('greaterThan');
  });

  it('keeps a custom operator a rule already uses', () => {
    expect(operatorsFor(load, { current: 'withinTolerance' })).toContain('withinTolerance');
  });

  it('asks for a list for `in`', () => {
    expect(valueKind(load, 'in')).toBe('array');
  });

  it('asks for the fact’s own type for a comparison', () => {
    expect(valueKind(load, 'greaterThan')).toBe('number');
  });

  it('labels a decorated operator with its decorator', () => {
    expect(operatorLabel('someFact:greaterThan')).toBe('someFact: >');
  });
});
