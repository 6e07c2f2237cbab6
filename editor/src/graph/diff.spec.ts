import type { RuleDefinition, RuleSetFile } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { diffRule, diffRuleSets } from './diff';
import { toolWearRule, toolWearSet } from './fixtures';

const withConditions = (all: unknown[]): RuleDefinition => ({
  ...toolWearRule,
  conditions: { all } as RuleDefinition['conditions'],
});
const [load, wear, notMaintenance] = (toolWearRule.conditions as { all: unknown[] }).all;
const temperature = { fact: 'coolantTemp', operator: 'greaterThan', value: 40 };

describe('diffRule', () => {
  it('marks only an inserted condition as added', () => {
    const diff = diffRule(toolWearRule, withConditions([load, temperature, wear, notMaintenance]));
    expect(diff.afterPaths).toMatchObject({
      '$.conditions.all[0]': 'unchanged',
      '$.conditions.all[1]': 'added',
      '$.conditions.all[2]': 'unchanged',
      '$.conditions.all[3]': 'unchanged',
    });
  });

  it('marks a dropped condition as removed in the earlier version', () => {
    const diff = diffRule(toolWearRule, withConditions([load, notMaintenance]));
    expect(diff.beforePaths['$.conditions.all[1]']).toBe('removed');
  });

  it('marks the inputs of a dropped gate as removed too', () => {
    const diff = diffRule(toolWearRule, withConditions([load, notMaintenance]));
    expect(diff.beforePaths['$.conditions.all[1].any[0]']).toBe('removed');
  });

  it('marks a condition whose threshold moved as changed', () => {
    const diff = diffRule(toolWearRule, withConditions([{ ...(load as object), value: 85 }, wear, notMaintenance]));
    expect(diff.afterPaths['$.conditions.all[0]']).toBe('changed');
  });

  it('treats a condition on another fact as a removal and an addition', () => {
    const diff = diffRule(toolWearRule, withConditions([temperature, wear, notMaintenance]));
    expect([diff.beforePaths['$.conditions.all[0]'], diff.afterPaths['$.conditions.all[0]']]).toEqual([
      'removed',
      'added',
    ]);
  });

  it('marks the event changed when its parameters change', () => {
    const diff = diffRule(toolWearRule, {
      ...toolWearRule,
      event: { type: 'writeback', params: { action: 'hold-lot' } },
    });
    expect(diff.afterPaths['$.event']).toBe('changed');
  });

  it('reports an identical rule as unchanged', () => {
    expect(diffRule(toolWearRule, structuredClone(toolWearRule)).status).toBe('unchanged');
  });
});

describe('diffRuleSets', () => {
  const next: RuleSetFile = {
    ...toolWearSet,
    facts: [...toolWearSet.facts, { name: 'coolantTemp', type: 'number' }],
    rules: [withConditions([load, temperature, wear, notMaintenance]), { ...toolWearRule, name: 'second' }],
  };

  it('lists a new rule as added', () => {
    expect(diffRuleSets(toolWearSet, next).rules.find((r) => r.name === 'second')?.status).toBe('added');
  });

  it('lists a rule that is gone as removed', () => {
    expect(diffRuleSets(next, toolWearSet).rules.find((r) => r.name === 'second')?.status).toBe('removed');
  });

  it('counts added conditions in rules that existed before', () => {
    const { rules } = diffRuleSets(toolWearSet, next);
    const kept = rules.find((r) => r.name === toolWearRule.name)!;
    expect(Object.values(kept.afterPaths).filter((k) => k === 'added')).toHaveLength(1);
  });

  it('lists facts that were added', () => {
    expect(diffRuleSets(toolWearSet, next).facts.added).toEqual(['coolantTemp']);
  });
});
