import fc from 'fast-check';
import type { Condition, RuleDefinition, TopLevelCondition } from '@loopgate/contracts';
import { BUILT_IN_OPERATORS } from '@loopgate/rules/core';

/** Generators of every rule json-rules-engine's format allows, for the property tests. */
const text = fc.string({ minLength: 1, maxLength: 10 });
// Through JSON once: fast-check's JSON values include -0, which JSON itself cannot hold.
const json = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const params = fc.dictionary(text, json, { maxKeys: 3, noNullPrototype: true });
const priority = fc.integer({ min: 1, max: 100 });

const operator = fc.oneof(
  fc.constantFrom(...BUILT_IN_OPERATORS),
  fc.constantFrom('someFact:greaterThan', 'everyValue:in', 'not:equal', 'swap:contains'),
  text,
);

/** A fact condition; its value may be a literal or a reference to another fact (fact-to-fact comparison). */
const factCondition: fc.Arbitrary<Condition> = fc.record(
  {
    fact: text,
    operator,
    value: fc.oneof(
      json,
      fc.record({ fact: text, path: fc.constant('$.value') }, { requiredKeys: ['fact'], noNullPrototype: true }),
    ),
    path: fc.constantFrom('$.load', '$.tool.wear', '$[0]'),
    params,
    priority,
    name: text,
  },
  { requiredKeys: ['fact', 'operator', 'value'], noNullPrototype: true },
);

const reference: fc.Arbitrary<Condition> = fc.record(
  { condition: text, priority, name: text },
  { requiredKeys: ['condition'], noNullPrototype: true },
);

const tree = fc.letrec<{ condition: Condition; all: Condition; any: Condition; not: Condition }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    factCondition,
    reference,
    tie('all'),
    tie('any'),
    tie('not'),
  ),
  all: fc.record(
    { all: fc.array(tie('condition'), { maxLength: 4 }), priority, name: text },
    { requiredKeys: ['all'], noNullPrototype: true },
  ),
  any: fc.record(
    { any: fc.array(tie('condition'), { maxLength: 4 }), priority, name: text },
    { requiredKeys: ['any'], noNullPrototype: true },
  ),
  not: fc.record({ not: tie('condition'), priority, name: text }, { requiredKeys: ['not'], noNullPrototype: true }),
}));

export const topLevelCondition = fc.oneof(tree.all, tree.any, tree.not, reference) as fc.Arbitrary<TopLevelCondition>;

export const ruleDefinition: fc.Arbitrary<RuleDefinition> = fc.record(
  {
    name: text,
    priority,
    conditions: topLevelCondition,
    event: fc.record({ type: text, params }, { requiredKeys: ['type'], noNullPrototype: true }),
  },
  { requiredKeys: ['name', 'conditions', 'event'], noNullPrototype: true },
) as fc.Arbitrary<RuleDefinition>;

// JSON has no -0, so a position of -0 could not survive saving in any format: generate +0 instead.
export const position = fc.record(
  {
    x: fc.integer({ min: -5000, max: 5000 }),
    y: fc
      .double({ min: -5000, max: 5000, noNaN: true, noDefaultInfinity: true })
      .map((y) => (Object.is(y, -0) ? 0 : y)),
  },
  { noNullPrototype: true },
);
