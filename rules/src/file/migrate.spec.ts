import { RULE_SET_SCHEMA_VERSION } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { RULE_SET_MIGRATIONS, migrateRuleSetFile, type RuleSetMigration } from './migrate';
import { parseRuleSetFile } from './parse';

/** A made-up history for testing the hook: v1 → v2 renames `facts` to `inputs`, v2 → v3 renames it back. */
const history: RuleSetMigration[] = [
  {
    from: 2,
    description: 'inputs → facts',
    migrate: ({ inputs, ...rest }) => ({ ...rest, facts: inputs }),
  },
  {
    from: 1,
    description: 'facts → inputs',
    migrate: ({ facts, ...rest }) => ({ ...rest, inputs: facts }),
  },
];

const v1 = () => ({ schemaVersion: 1, id: 'x', name: 'X', facts: [{ name: 'a', type: 'number' }], rules: [] });

describe('migrateRuleSetFile', () => {
  it('leaves a current file as it is', () => {
    const file = { ...v1(), schemaVersion: RULE_SET_SCHEMA_VERSION };
    expect(migrateRuleSetFile(file)).toEqual({ success: true, value: { file, fromVersion: RULE_SET_SCHEMA_VERSION } });
  });

  it('has a step for every version below the current one', () => {
    for (let v = 1; v < RULE_SET_SCHEMA_VERSION; v++) expect(RULE_SET_MIGRATIONS.some((m) => m.from === v)).toBe(true);
  });

  it('applies the steps in version order and sets schemaVersion', () => {
    const result = migrateRuleSetFile(v1(), { migrations: history, targetVersion: 3 });
    expect(result).toEqual({ success: true, value: { fromVersion: 1, file: { ...v1(), schemaVersion: 3 } } });
  });

  it('stops at the target version', () => {
    const result = migrateRuleSetFile(v1(), { migrations: history, targetVersion: 2 });
    expect(result.success && result.value.file).toEqual({
      schemaVersion: 2,
      id: 'x',
      name: 'X',
      inputs: [{ name: 'a', type: 'number' }],
      rules: [],
    });
  });

  it('never modifies the input', () => {
    const input = v1();
    migrateRuleSetFile(input, { migrations: history, targetVersion: 3 });
    expect(input).toEqual(v1());
  });

  it('refuses a file from a newer Loopgate', () => {
    const result = migrateRuleSetFile({ ...v1(), schemaVersion: RULE_SET_SCHEMA_VERSION + 1 });
    expect(result).toEqual({
      success: false,
      issues: [expect.objectContaining({ code: 'SCHEMA_VERSION_UNSUPPORTED', path: '$.schemaVersion' })],
    });
  });

  it('reports a gap in the history', () => {
    const result = migrateRuleSetFile(v1(), { migrations: history.slice(0, 1), targetVersion: 3 });
    expect(result).toEqual({
      success: false,
      issues: [expect.objectContaining({ code: 'MIGRATION_MISSING', message: 'no migration from schemaVersion 1' })],
    });
  });

  it('requires a schemaVersion', () => {
    const { schemaVersion: _omitted, ...file } = v1();
    expect(migrateRuleSetFile(file)).toEqual({
      success: false,
      issues: [expect.objectContaining({ code: 'REQUIRED', path: '$.schemaVersion' })],
    });
  });

  it('is applied by parseRuleSetFile before the structure is checked', () => {
    const parsed = parseRuleSetFile(v1(), { migrations: history, targetVersion: 3 });
    expect(parsed.success && parsed.value.schemaVersion).toBe(3);
  });
});

describe('schemaVersion 1 → 2 (derived facts)', () => {
  const toolWearV1 = {
    schemaVersion: 1,
    id: 'tool-wear',
    name: 'Tool wear',
    facts: [{ name: 'feedRate', type: 'number', unit: 'mm/min' }],
    sharedConditions: { worn: { all: [{ fact: 'feedRate', operator: 'greaterThan', value: 0 }] } },
    rules: [
      {
        name: 'reduce-feed',
        conditions: { all: [{ condition: 'worn' }] },
        event: { type: 'writeback', params: { action: 'set-parameter', value: { fact: 'feedRate' } } },
      },
    ],
  };

  it('brings a version 1 file to version 2 with its facts, shared conditions and rules unchanged', () => {
    const parsed = parseRuleSetFile(toolWearV1);
    expect(parsed.success && parsed.value).toEqual({ ...toolWearV1, schemaVersion: 2 });
  });

  it('reports that the file was written in version 1', () => {
    expect(migrateRuleSetFile(toolWearV1)).toMatchObject({ success: true, value: { fromVersion: 1 } });
  });

  it('accepts derived facts in a version 2 file', () => {
    const v2 = {
      ...toolWearV1,
      schemaVersion: 2,
      derivedFacts: [{ name: 'reduced', type: 'number', expression: '$round(feedRate * 0.95, -1)' }],
    };
    const parsed = parseRuleSetFile(v2);
    expect(parsed.success && parsed.value.derivedFacts).toEqual(v2.derivedFacts);
  });
});
