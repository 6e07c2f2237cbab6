import type { RuleSetFile } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { diffRuleSets } from './diff';

const base = (): RuleSetFile => ({
  schemaVersion: 1,
  id: 'tool-wear',
  name: 'Tool wear',
  facts: [
    { name: 'load', type: 'number' },
    { name: 'wear', type: 'number' },
  ],
  sharedConditions: { worn: { all: [{ fact: 'wear', operator: 'greaterThan', value: 0.6 }] } },
  rules: [
    {
      name: 'reduce-feed',
      conditions: {
        all: [
          { fact: 'load', operator: 'greaterThan', value: 80 },
          { fact: 'wear', operator: 'lessThan', value: 0.9 },
        ],
      },
      event: { type: 'writeback', params: { action: 'set-parameter', value: 1100 } },
    },
    { name: 'tool-change', conditions: { any: [{ condition: 'worn' }] }, event: { type: 'writeback' } },
  ],
});

describe('diffRuleSets', () => {
  it('finds nothing between equal rule sets written differently', () => {
    const b = base();
    b.rules[0].event = { params: { value: 1100, action: 'set-parameter' }, type: 'writeback' };
    expect(diffRuleSets(base(), b)).toEqual({
      identical: true,
      changes: [],
      summary: { rules: { added: 0, removed: 0, changed: 0 }, conditions: { added: 0, removed: 0, changed: 0 } },
    });
  });

  it('reports a changed threshold with its path in both versions', () => {
    const b = base();
    (b.rules[0].conditions as { all: { value: unknown }[] }).all[0].value = 85;
    const diff = diffRuleSets(base(), b);
    expect(diff.identical).toBe(false);
    expect(diff.changes).toEqual([
      { kind: 'changed', subject: 'rule', rule: 'reduce-feed', beforePath: '$.rules[0]', afterPath: '$.rules[0]' },
      {
        kind: 'changed',
        subject: 'condition',
        rule: 'reduce-feed',
        beforePath: '$.rules[0].conditions.all[0]',
        afterPath: '$.rules[0].conditions.all[0]',
        before: { fact: 'load', operator: 'greaterThan', value: 80 },
        after: { fact: 'load', operator: 'greaterThan', value: 85 },
      },
    ]);
  });

  it('reports an inserted condition as one addition, not every later one as changed', () => {
    const b = base();
    (b.rules[0].conditions as { all: unknown[] }).all.unshift({ fact: 'wear', operator: 'greaterThan', value: 0.5 });
    const conditionChanges = diffRuleSets(base(), b).changes.filter((c) => c.subject === 'condition');
    expect(conditionChanges).toEqual([
      {
        kind: 'added',
        subject: 'condition',
        rule: 'reduce-feed',
        afterPath: '$.rules[0].conditions.all[0]',
        after: { fact: 'wear', operator: 'greaterThan', value: 0.5 },
      },
    ]);
  });

  it('reports a removed condition at its old path', () => {
    const b = base();
    (b.rules[0].conditions as { all: unknown[] }).all.splice(0, 1);
    const changes = diffRuleSets(base(), b).changes.filter((c) => c.subject === 'condition');
    expect(changes).toEqual([expect.objectContaining({ kind: 'removed', beforePath: '$.rules[0].conditions.all[0]' })]);
  });

  it('reports added and removed rules by name with their own paths', () => {
    const b = base();
    b.rules.splice(0, 1);
    b.rules.push({ name: 'new', conditions: { all: [] }, event: { type: 'x' } });
    const diff = diffRuleSets(base(), b);
    expect(diff.changes.map((c) => [c.kind, c.subject, c.rule, c.beforePath ?? c.afterPath])).toEqual([
      ['removed', 'rule', 'reduce-feed', '$.rules[0]'],
      ['added', 'rule', 'new', '$.rules[1]'],
    ]);
    expect(diff.summary.rules).toEqual({ added: 1, removed: 1, changed: 0 });
  });

  it('reports a changed priority and event', () => {
    const b = base();
    b.rules[1].priority = 3;
    b.rules[1].event = { type: 'writeback', params: { action: 'create-maintenance-work-order' } };
    expect(diffRuleSets(base(), b).changes.map((c) => [c.subject, c.afterPath, c.after])).toEqual([
      ['rule', '$.rules[1]', undefined],
      ['priority', '$.rules[1].priority', 3],
      ['event', '$.rules[1].event', { type: 'writeback', params: { action: 'create-maintenance-work-order' } }],
    ]);
  });

  it('reports a condition replaced by another kind as one change', () => {
    const b = base();
    b.rules[1].conditions = { any: [{ not: { condition: 'worn' } }] };
    expect(diffRuleSets(base(), b).changes.filter((c) => c.subject === 'condition')).toEqual([
      expect.objectContaining({
        kind: 'changed',
        beforePath: '$.rules[1].conditions.any[0]',
        before: { condition: 'worn' },
        after: { not: { condition: 'worn' } },
      }),
    ]);
  });

  it('reports changes inside shared conditions and facts', () => {
    const b = base();
    b.sharedConditions!.worn = { all: [{ fact: 'wear', operator: 'greaterThan', value: 0.7 }] };
    b.facts.push({ name: 'feed', type: 'number', unit: 'mm/min' });
    expect(diffRuleSets(base(), b).changes.map((c) => [c.kind, c.subject, c.afterPath])).toEqual([
      ['added', 'fact', '$.facts[2]'],
      ['changed', 'shared-condition', '$.sharedConditions.worn'],
      ['changed', 'condition', '$.sharedConditions.worn.all[0]'],
    ]);
  });

  it('reports rules that only moved', () => {
    const b = base();
    b.rules.reverse();
    expect(diffRuleSets(base(), b).changes).toEqual([
      {
        kind: 'changed',
        subject: 'rule-order',
        beforePath: '$.rules',
        afterPath: '$.rules',
        before: ['reduce-feed', 'tool-change'],
        after: ['tool-change', 'reduce-feed'],
      },
    ]);
  });

  it('counts condition changes in the summary', () => {
    const b = base();
    const all = (b.rules[0].conditions as { all: { value: unknown }[] }).all;
    all[0].value = 81;
    all.push({ fact: 'load', operator: 'lessThan', value: 100 } as never);
    expect(diffRuleSets(base(), b).summary.conditions).toEqual({ added: 1, removed: 0, changed: 1 });
  });
});
