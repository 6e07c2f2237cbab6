import { describe, expect, it } from 'vitest';
import { toolWearSet } from '../../graph/fixtures';
import { parseRuleSetJson } from './draft';

describe('parseRuleSetJson', () => {
  it('accepts a rule set file', () => {
    expect(parseRuleSetJson(JSON.stringify(toolWearSet))).toEqual({ ok: true, value: toolWearSet });
  });

  it('refuses text that is not JSON', () => {
    expect(parseRuleSetJson('{').ok).toBe(false);
  });

  it('refuses a rule whose top-level condition is a fact condition', () => {
    const bad = {
      ...toolWearSet,
      rules: [{ ...toolWearSet.rules[0], conditions: { fact: 'a', operator: 'equal', value: 1 } }],
    };
    expect(parseRuleSetJson(JSON.stringify(bad))).toMatchObject({
      ok: false,
      message: expect.stringContaining('$.rules[0].conditions'),
    });
  });

  it('refuses two rules with one name', () => {
    const bad = { ...toolWearSet, rules: [toolWearSet.rules[0], toolWearSet.rules[0]] };
    expect(parseRuleSetJson(JSON.stringify(bad)).ok).toBe(false);
  });
});
