import type { Condition, RuleSetFile } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { validateRuleSet, validateRuleSetFile, type RuleSetValidationOptions } from './validate';

function fileWith(conditions: Condition[], extra: Partial<RuleSetFile> = {}): RuleSetFile {
  return {
    schemaVersion: 1,
    id: 'cell',
    name: 'Cell',
    facts: [
      { name: 'load', type: 'number', unit: '%' },
      { name: 'limit', type: 'number' },
      { name: 'cell', type: 'string' },
      { name: 'alarms', type: 'array' },
      { name: 'lot', type: 'object' },
      { name: 'running', type: 'boolean' },
    ],
    rules: [
      { name: 'r', conditions: { all: conditions }, event: { type: 'writeback', params: { action: 'set-parameter' } } },
    ],
    ...extra,
  };
}

const check = (conditions: Condition[], options?: RuleSetValidationOptions) =>
  validateRuleSet(fileWith(conditions), options);
const codes = (conditions: Condition[], options?: RuleSetValidationOptions) =>
  check(conditions, options).map((i) => [i.code, i.path]);

describe('validateRuleSet', () => {
  it('finds nothing wrong with a sound rule set', () => {
    expect(
      check([
        { fact: 'load', operator: 'greaterThan', value: 80 },
        { fact: 'load', operator: 'lessThan', value: { fact: 'limit' } },
        { fact: 'cell', operator: 'in', value: ['CELL-A', 'CELL-B'] },
        { fact: 'alarms', operator: 'contains', value: 'E42' },
        { fact: 'alarms', operator: 'someFact:greaterThan', value: 3 },
        { fact: 'lot', path: '$.moisture', operator: 'lessThan', value: 0.5 },
        { fact: 'running', operator: 'equal', value: true },
      ]),
    ).toEqual([]);
  });

  describe('UNKNOWN_FACT', () => {
    it('points at an undeclared fact', () => {
      expect(codes([{ fact: 'spindelLoad', operator: 'greaterThan', value: 1 }])).toEqual([
        ['UNKNOWN_FACT', '$.rules[0].conditions.all[0].fact'],
      ]);
    });

    it('points at an undeclared fact a value reads', () => {
      expect(codes([{ fact: 'load', operator: 'lessThan', value: { fact: 'max' } }])).toEqual([
        ['UNKNOWN_FACT', '$.rules[0].conditions.all[0].value.fact'],
      ]);
    });

    it('points at an undeclared fact an event param reads', () => {
      const file = fileWith([]);
      file.rules[0].event.params = { action: 'set-parameter', value: { fact: 'newFeed' } };
      expect(validateRuleSet(file).map((i) => [i.code, i.path])).toEqual([
        ['UNKNOWN_FACT', '$.rules[0].event.params.value.fact'],
      ]);
    });
  });

  describe('UNKNOWN_OPERATOR', () => {
    it('points at an operator the engine does not have', () => {
      expect(check([{ fact: 'load', operator: 'between', value: [1, 2] }])).toEqual([
        {
          code: 'UNKNOWN_OPERATOR',
          path: '$.rules[0].conditions.all[0].operator',
          message: 'unknown operator "between"',
        },
      ]);
    });

    it('names an unknown decorator', () => {
      expect(check([{ fact: 'alarms', operator: 'anyFact:equal', value: 1 }])[0].message).toBe(
        'unknown operator decorator "anyFact"',
      );
    });

    it('accepts custom operators and decorators the caller registers', () => {
      expect(
        codes([{ fact: 'load', operator: 'rising:between', value: [1, 2] }], {
          operators: ['between'],
          operatorDecorators: [{ name: 'rising' }],
        }),
      ).toEqual([]);
    });
  });

  describe('OPERATOR_TYPE_MISMATCH', () => {
    it('refuses a numeric comparison on a string fact', () => {
      expect(check([{ fact: 'cell', operator: 'greaterThan', value: 3 }])).toEqual([
        {
          code: 'OPERATOR_TYPE_MISMATCH',
          path: '$.rules[0].conditions.all[0].operator',
          message: 'greaterThan compares numbers, but the fact is a string',
        },
      ]);
    });

    it('refuses contains on a string fact, where the engine always answers false', () => {
      expect(codes([{ fact: 'cell', operator: 'contains', value: 'B' }])).toEqual([
        ['OPERATOR_TYPE_MISMATCH', '$.rules[0].conditions.all[0].operator'],
      ]);
    });

    it('refuses someFact on a fact that is not a list', () => {
      expect(codes([{ fact: 'load', operator: 'someFact:equal', value: 1 }])).toEqual([
        ['OPERATOR_TYPE_MISMATCH', '$.rules[0].conditions.all[0].operator'],
      ]);
    });

    it('refuses equal on a list fact, which compares by identity', () => {
      expect(codes([{ fact: 'alarms', operator: 'equal', value: 'E42' }])).toEqual([
        ['OPERATOR_TYPE_MISMATCH', '$.rules[0].conditions.all[0].operator'],
      ]);
    });

    it('follows swap: the value becomes the left side', () => {
      expect(codes([{ fact: 'cell', operator: 'swap:contains', value: ['CELL-A'] }])).toEqual([]);
      expect(codes([{ fact: 'alarms', operator: 'swap:contains', value: 'E42' }])).toEqual([
        ['VALUE_TYPE_MISMATCH', '$.rules[0].conditions.all[0].value'],
      ]);
    });
  });

  describe('VALUE_TYPE_MISMATCH', () => {
    it('refuses a string threshold on a number fact', () => {
      expect(codes([{ fact: 'load', operator: 'greaterThan', value: '80' }])).toEqual([
        ['VALUE_TYPE_MISMATCH', '$.rules[0].conditions.all[0].value'],
      ]);
    });

    it('refuses equal between a number fact and a string, which is strict', () => {
      expect(codes([{ fact: 'load', operator: 'equal', value: '80' }])).toEqual([
        ['VALUE_TYPE_MISMATCH', '$.rules[0].conditions.all[0].value'],
      ]);
    });

    it('refuses in without a list', () => {
      expect(codes([{ fact: 'load', operator: 'in', value: 3 }])).toEqual([
        ['VALUE_TYPE_MISMATCH', '$.rules[0].conditions.all[0].value'],
      ]);
    });

    it('compares against the type of a fact the value reads', () => {
      expect(codes([{ fact: 'load', operator: 'lessThan', value: { fact: 'cell' } }])).toEqual([
        ['VALUE_TYPE_MISMATCH', '$.rules[0].conditions.all[0].value'],
      ]);
    });
  });

  describe('UNSATISFIABLE_CONDITION', () => {
    it('finds x > 10 and x < 5 in one all', () => {
      expect(
        check([
          { fact: 'load', operator: 'greaterThan', value: 10 },
          { fact: 'load', operator: 'lessThan', value: 5 },
        ]),
      ).toEqual([
        {
          code: 'UNSATISFIABLE_CONDITION',
          path: '$.rules[0].conditions',
          message:
            'can never be true: $.rules[0].conditions.all[0] (load greaterThan 10) and $.rules[0].conditions.all[1] (load lessThan 5)',
        },
      ]);
    });

    it('finds x > 5 and x <= 5 (touching bounds)', () => {
      expect(
        codes([
          { fact: 'load', operator: 'greaterThan', value: 5 },
          { fact: 'load', operator: 'lessThanInclusive', value: 5 },
        ]),
      ).toEqual([['UNSATISFIABLE_CONDITION', '$.rules[0].conditions']]);
    });

    it('accepts x >= 5 and x <= 5', () => {
      expect(
        codes([
          { fact: 'load', operator: 'greaterThanInclusive', value: 5 },
          { fact: 'load', operator: 'lessThanInclusive', value: 5 },
        ]),
      ).toEqual([]);
    });

    it('finds two different required values, also through a nested all', () => {
      expect(
        codes([
          { fact: 'cell', operator: 'equal', value: 'CELL-A' },
          { all: [{ fact: 'cell', operator: 'equal', value: 'CELL-B' }] },
        ]),
      ).toEqual([['UNSATISFIABLE_CONDITION', '$.rules[0].conditions']]);
    });

    it('finds a required value outside a list', () => {
      expect(
        codes([
          { fact: 'cell', operator: 'in', value: ['CELL-A', 'CELL-B'] },
          { fact: 'cell', operator: 'equal', value: 'CELL-C' },
        ]),
      ).toEqual([['UNSATISFIABLE_CONDITION', '$.rules[0].conditions']]);
    });

    it('finds in with an empty list', () => {
      expect(codes([{ fact: 'cell', operator: 'in', value: [] }])).toEqual([
        ['UNSATISFIABLE_CONDITION', '$.rules[0].conditions'],
      ]);
    });

    it('finds not of an empty all', () => {
      expect(codes([{ not: { all: [] } }])).toEqual([['UNSATISFIABLE_CONDITION', '$.rules[0].conditions.all[0]']]);
    });

    it("follows the engine's coercion: '7' equals and is greater than 5", () => {
      expect(
        validateRuleSet(
          fileWith([
            { fact: 'code', operator: 'equal', value: '7' },
            { fact: 'code', operator: 'greaterThan', value: 5 },
          ]),
        ).filter((i) => i.code === 'UNSATISFIABLE_CONDITION'),
      ).toEqual([]);
    });

    it('does not combine conditions across an any', () => {
      expect(
        codes([
          {
            any: [
              { fact: 'load', operator: 'greaterThan', value: 10 },
              { fact: 'load', operator: 'lessThan', value: 5 },
            ],
          },
        ]),
      ).toEqual([]);
    });

    it('keeps different paths of one fact apart', () => {
      expect(
        codes([
          { fact: 'lot', path: '$.a', operator: 'greaterThan', value: 10 },
          { fact: 'lot', path: '$.b', operator: 'lessThan', value: 5 },
        ]),
      ).toEqual([]);
    });
  });

  describe('UNSUPPORTED_ACTION', () => {
    it('refuses an action no configured target supports', () => {
      expect(check([], { supportedActions: ['hold-lot'] })).toEqual([
        {
          code: 'UNSUPPORTED_ACTION',
          path: '$.rules[0].event.params.action',
          message: 'no configured target supports "set-parameter" (supported: hold-lot)',
        },
      ]);
    });

    it('accepts a supported action', () => {
      expect(check([], { supportedActions: new Set(['set-parameter']) })).toEqual([]);
    });
  });

  describe('shared conditions', () => {
    it('refuses a reference to a missing shared condition', () => {
      expect(codes([{ condition: 'tool-worn' }])).toEqual([
        ['UNKNOWN_CONDITION_REFERENCE', '$.rules[0].conditions.all[0].condition'],
      ]);
    });

    it('refuses shared conditions that refer to each other in a loop', () => {
      const file = fileWith([{ condition: 'a' }], {
        sharedConditions: { a: { all: [{ condition: 'b' }] }, b: { not: { condition: 'a' } }, c: { condition: 'b' } },
      });
      expect(validateRuleSet(file).map((i) => [i.code, i.path])).toEqual([
        ['CIRCULAR_CONDITION_REFERENCE', '$.sharedConditions.a'],
        ['CIRCULAR_CONDITION_REFERENCE', '$.sharedConditions.b'],
      ]);
    });

    it('checks the conditions inside shared conditions', () => {
      const file = fileWith([], {
        sharedConditions: { hot: { all: [{ fact: 'temp', operator: 'greaterThan', value: 80 }] } },
      });
      expect(validateRuleSet(file).map((i) => [i.code, i.path])).toEqual([
        ['UNKNOWN_FACT', '$.sharedConditions.hot.all[0].fact'],
      ]);
    });
  });

  it('flags an empty any, which json-rules-engine treats as true', () => {
    expect(codes([{ any: [] }])).toEqual([['EMPTY_ANY', '$.rules[0].conditions.all[0]']]);
  });
});

describe('validateRuleSetFile', () => {
  it('returns structural issues first, without semantic ones', () => {
    const result = validateRuleSetFile({ ...fileWith([{ fact: 'nope', operator: 'equal', value: 1 }]), name: '' });
    expect(result).toEqual({
      success: false,
      issues: [expect.objectContaining({ code: 'INVALID_VALUE', path: '$.name' })],
    });
  });

  it('returns semantic issues of a well-formed file', () => {
    const result = validateRuleSetFile(JSON.stringify(fileWith([{ fact: 'nope', operator: 'equal', value: 1 }])));
    expect(result).toEqual({ success: false, issues: [expect.objectContaining({ code: 'UNKNOWN_FACT' })] });
  });

  it('returns the canonical file when all is well', () => {
    const result = validateRuleSetFile(fileWith([{ fact: 'load', operator: 'greaterThan', value: 1 }]));
    expect(result.success).toBe(true);
  });
});
