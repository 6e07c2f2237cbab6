import { createHash } from 'node:crypto';
import type { RuleSetFile } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { canonicalRuleSet, serializeRuleSet } from './canonical';
import { ruleSetChecksum } from './checksum';
import { parseRuleSetFile } from './parse';

const file: RuleSetFile = {
  schemaVersion: 2,
  id: 'lot-hold',
  name: 'Lot hold',
  facts: [{ name: 'score', type: 'number' }],
  sharedConditions: { zeta: { all: [] }, alpha: { any: [{ fact: 'score', operator: 'equal', value: 1 }] } },
  rules: [
    {
      name: 'hold',
      conditions: { all: [{ value: 0.8, operator: 'greaterThan', fact: 'score', priority: 2 }] },
      event: { params: { reason: 'suspect', lotId: { fact: 'lotId' }, action: 'hold-lot' }, type: 'writeback' },
    },
  ],
};

/** The same rule set with every object's keys written in reverse. */
function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    ) as T;
  }
  return value;
}

describe('canonical form', () => {
  it('orders keys the way a reader scans a rule', () => {
    const canonical = canonicalRuleSet(file);
    expect(Object.keys(canonical)).toEqual(['schemaVersion', 'id', 'name', 'facts', 'sharedConditions', 'rules']);
    expect(Object.keys(canonical.sharedConditions!)).toEqual(['alpha', 'zeta']);
    expect(Object.keys((canonical.rules[0].conditions as { all: object[] }).all[0])).toEqual([
      'fact',
      'operator',
      'value',
      'priority',
    ]);
    expect(Object.keys(canonical.rules[0].event.params!)).toEqual(['action', 'lotId', 'reason']);
  });

  it('serializes with two-space indentation and a trailing newline', () => {
    const text = serializeRuleSet(file);
    expect(text.startsWith('{\n  "schemaVersion": 2,\n  "id": "lot-hold",')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('gives the same text and checksum however the keys were written', () => {
    expect(serializeRuleSet(reversedKeys(file))).toBe(serializeRuleSet(file));
    expect(ruleSetChecksum(reversedKeys(file))).toBe(ruleSetChecksum(file));
  });

  it('checksums the saved file text, so sha256sum agrees', () => {
    const expected = createHash('sha256').update(serializeRuleSet(file)).digest('hex');
    expect(ruleSetChecksum(file)).toBe(expected);
    expect(ruleSetChecksum(file)).toMatch(/^[0-9a-f]{64}$/u);
  });

  it('changes the checksum when a threshold changes', () => {
    const changed = structuredClone(file);
    (changed.rules[0].conditions as { all: { value: number }[] }).all[0].value = 0.85;
    expect(ruleSetChecksum(changed)).not.toBe(ruleSetChecksum(file));
  });

  it('keeps the order of conditions, which is meaningful', () => {
    const swapped = structuredClone(file);
    swapped.sharedConditions!.alpha = {
      any: [
        { fact: 'score', operator: 'equal', value: 2 },
        { fact: 'score', operator: 'equal', value: 1 },
      ],
    };
    const text = serializeRuleSet(swapped);
    expect(text.indexOf('"value": 2')).toBeLessThan(text.indexOf('"value": 1\n'));
  });

  it('reads back to the same rule set', () => {
    const parsed = parseRuleSetFile(serializeRuleSet(file));
    expect(parsed.success && serializeRuleSet(parsed.value)).toBe(serializeRuleSet(file));
  });
});
