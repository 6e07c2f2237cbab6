import type { RuleSetFile } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { parseRuleSetFile } from './parse';

const valid = (): RuleSetFile => ({
  schemaVersion: 2,
  id: 'tool-wear',
  name: 'Tool wear',
  facts: [{ name: 'spindleLoad', type: 'number', unit: '%' }],
  rules: [
    {
      name: 'reduce-feed',
      conditions: { all: [{ fact: 'spindleLoad', operator: 'greaterThan', value: 80 }] },
      event: { type: 'writeback', params: { action: 'set-parameter' } },
    },
  ],
});

function issuesOf(input: unknown) {
  const result = parseRuleSetFile(input);
  if (result.success) throw new Error('expected issues');
  return result.issues;
}

describe('parseRuleSetFile', () => {
  it('accepts a valid file and returns it in canonical form', () => {
    const result = parseRuleSetFile(valid());
    expect(result).toEqual({ success: true, value: valid() });
  });

  it('reads file text', () => {
    expect(parseRuleSetFile(JSON.stringify(valid())).success).toBe(true);
  });

  it('reports text that is not JSON at the root', () => {
    expect(issuesOf('{ "schemaVersion": 1,')).toEqual([expect.objectContaining({ code: 'INVALID_JSON', path: '$' })]);
  });

  it('reports missing required fields with their paths', () => {
    const file = valid() as unknown as Record<string, unknown>;
    delete file.name;
    delete (file.rules as Record<string, unknown>[])[0].event;
    expect(issuesOf(file).map((i) => [i.code, i.path])).toEqual([
      ['REQUIRED', '$.name'],
      ['REQUIRED', '$.rules[0].event'],
    ]);
  });

  it('points at the exact operator inside nested conditions', () => {
    const file = valid();
    file.rules.push({
      name: 'second',
      conditions: {
        any: [
          { fact: 'spindleLoad', operator: 'greaterThan', value: 1 },
          { all: [{ fact: 'spindleLoad', value: 2 } as never] },
        ],
      },
      event: { type: 'x' },
    });
    expect(issuesOf(file)).toEqual([
      { code: 'REQUIRED', path: '$.rules[1].conditions.any[1].all[0].operator', message: 'operator is required' },
    ]);
  });

  it('refuses unknown properties rather than dropping them', () => {
    const file = { ...valid(), owner: 'me' };
    expect(issuesOf(file)).toEqual([expect.objectContaining({ code: 'UNKNOWN_PROPERTY', path: '$.owner' })]);
  });

  it('refuses a condition with two kinds, which the engine would silently read as one', () => {
    const file = valid();
    file.rules[0].conditions = { all: [], any: [] } as never;
    expect(issuesOf(file)).toEqual([
      expect.objectContaining({ code: 'AMBIGUOUS_CONDITION', path: '$.rules[0].conditions' }),
    ]);
  });

  it('refuses a fact condition at the top of a rule', () => {
    const file = valid();
    file.rules[0].conditions = { fact: 'spindleLoad', operator: 'equal', value: 1 } as never;
    expect(issuesOf(file)).toEqual([
      expect.objectContaining({ code: 'INVALID_CONDITION', path: '$.rules[0].conditions' }),
    ]);
  });

  it('refuses not with an array', () => {
    const file = valid();
    file.rules[0].conditions = { not: [] } as never;
    expect(issuesOf(file)).toEqual([
      expect.objectContaining({ code: 'INVALID_TYPE', path: '$.rules[0].conditions.not' }),
    ]);
  });

  it('refuses priorities below 1 and fractions', () => {
    const file = valid();
    file.rules[0].priority = 0;
    (file.rules[0].conditions as { all: { priority?: number }[] }).all[0].priority = 1.5;
    expect(issuesOf(file).map((i) => i.path)).toEqual(['$.rules[0].priority', '$.rules[0].conditions.all[0].priority']);
  });

  it('refuses two rules with the same name and two facts with the same name', () => {
    const file = valid();
    file.rules.push(structuredClone(file.rules[0]));
    file.facts.push({ name: 'spindleLoad', type: 'number' });
    expect(issuesOf(file).map((i) => [i.code, i.path])).toEqual([
      ['DUPLICATE_FACT', '$.facts[1].name'],
      ['DUPLICATE_RULE_NAME', '$.rules[1].name'],
    ]);
  });

  it('refuses an action that is not a write-back action and an unknown fact type', () => {
    const file = valid();
    file.rules[0].event.params = { action: 'explode' as never };
    file.facts[0].type = 'integer' as never;
    expect(issuesOf(file).map((i) => [i.code, i.path])).toEqual([
      ['INVALID_VALUE', '$.facts[0].type'],
      ['INVALID_VALUE', '$.rules[0].event.params.action'],
    ]);
  });

  it('checks fact references in values and event params', () => {
    const file = valid();
    (file.rules[0].conditions as { all: { value: unknown }[] }).all[0].value = { fact: 'limit', unit: '%' };
    file.rules[0].event.params = { action: 'set-parameter', value: { fact: 42 } };
    expect(issuesOf(file).map((i) => [i.code, i.path])).toEqual([
      ['UNKNOWN_PROPERTY', '$.rules[0].conditions.all[0].value.unit'],
      ['INVALID_TYPE', '$.rules[0].event.params.value.fact'],
    ]);
  });

  it('refuses values JSON cannot hold', () => {
    const file = valid();
    (file.rules[0].conditions as { all: { value: unknown }[] }).all[0].value = [1, Number.NaN];
    expect(issuesOf(file)).toEqual([
      expect.objectContaining({ code: 'NOT_JSON', path: '$.rules[0].conditions.all[0].value[1]' }),
    ]);
  });

  it('refuses conditions nested too deep', () => {
    const file = valid();
    let condition: Record<string, unknown> = { fact: 'spindleLoad', operator: 'equal', value: 1 };
    for (let i = 0; i < 40; i++) condition = { not: condition };
    file.rules[0].conditions = { all: [condition as never] };
    expect(issuesOf(file)).toEqual([expect.objectContaining({ code: 'TOO_DEEP' })]);
  });

  it('refuses an id that cannot be a file name', () => {
    expect(issuesOf({ ...valid(), id: '../etc/passwd' })).toEqual([
      expect.objectContaining({ code: 'INVALID_VALUE', path: '$.id' }),
    ]);
  });

  it('quotes non-identifier shared condition names in paths', () => {
    const file = { ...valid(), sharedConditions: { 'tool worn': { any: 'x' } } };
    expect(issuesOf(file)).toEqual([
      expect.objectContaining({ code: 'INVALID_TYPE', path: "$.sharedConditions['tool worn'].any" }),
    ]);
  });

  it('treats optional fields set to undefined as absent', () => {
    const file = { ...valid(), description: undefined, sharedConditions: undefined };
    expect(parseRuleSetFile(file)).toEqual({ success: true, value: valid() });
  });
});
