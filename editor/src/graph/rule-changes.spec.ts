import type { RuleDefinition, RuleSetFile } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { toolWearRule, toolWearSet } from './fixtures';
import { ruleSetChanges } from './rule-changes';

const withConditions = (all: unknown[]): RuleDefinition => ({
  ...toolWearRule,
  conditions: { all } as RuleDefinition['conditions'],
});
const [load, wear, notMaintenance] = (toolWearRule.conditions as { all: unknown[] }).all;
const temperature = { fact: 'coolantTemp', operator: 'greaterThan', value: 40 };
const setWith = (...rules: RuleDefinition[]): RuleSetFile => ({ ...toolWearSet, rules });
const ruleDiff = (after: RuleDefinition) => ruleSetChanges(setWith(toolWearRule), setWith(after)).rules[0];

describe('ruleSetChanges', () => {
  it('marks only an inserted condition as added', () => {
    expect(ruleDiff(withConditions([load, temperature, wear, notMaintenance])).afterPaths).toMatchObject({
      '$.conditions.all[0]': 'unchanged',
      '$.conditions.all[1]': 'added',
      '$.conditions.all[2]': 'unchanged',
      '$.conditions.all[3]': 'unchanged',
    });
  });

  it('marks a dropped condition as removed in the earlier version', () => {
    expect(ruleDiff(withConditions([load, notMaintenance])).beforePaths['$.conditions.all[1]']).toBe('removed');
  });

  it('marks the inputs of a dropped gate as removed too', () => {
    expect(ruleDiff(withConditions([load, notMaintenance])).beforePaths['$.conditions.all[1].any[0]']).toBe('removed');
  });

  it('marks a condition whose threshold moved as changed on both sides', () => {
    const diff = ruleDiff(withConditions([{ ...(load as object), value: 85 }, wear, notMaintenance]));
    expect([diff.beforePaths['$.conditions.all[0]'], diff.afterPaths['$.conditions.all[0]']]).toEqual([
      'changed',
      'changed',
    ]);
  });

  it('marks the event changed when its parameters change', () => {
    const diff = ruleDiff({ ...toolWearRule, event: { type: 'writeback', params: { action: 'hold-lot' } } });
    expect(diff.afterPaths['$.event']).toBe('changed');
  });

  it('reports an identical rule as unchanged', () => {
    expect(ruleDiff(structuredClone(toolWearRule)).status).toBe('unchanged');
  });

  it('lists a new rule as added and a rule that is gone as removed', () => {
    const next = setWith(toolWearRule, { ...toolWearRule, name: 'second' });
    expect(ruleSetChanges(toolWearSet, next).rules.find((r) => r.name === 'second')?.status).toBe('added');
    expect(ruleSetChanges(next, toolWearSet).rules.find((r) => r.name === 'second')?.status).toBe('removed');
  });

  it('lists facts that were added by name', () => {
    const next = { ...toolWearSet, facts: [...toolWearSet.facts, { name: 'coolantTemp', type: 'number' as const }] };
    expect(ruleSetChanges(toolWearSet, next).facts.added).toEqual(['coolantTemp']);
  });
});
