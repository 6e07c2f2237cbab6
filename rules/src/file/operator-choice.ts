import type { FactDefinition, FactType } from '@loopgate/contracts';
import { BUILT_IN_OPERATORS } from '../evaluator/operators';

const BY_TYPE: Record<FactType, readonly string[]> = {
  number: ['equal', 'notEqual', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive', 'in', 'notIn'],
  string: ['equal', 'notEqual', 'in', 'notIn'],
  boolean: ['equal', 'notEqual'],
  array: [
    'contains',
    'doesNotContain',
    'someFact:equal',
    'someFact:greaterThan',
    'someFact:lessThan',
    'everyFact:greaterThanInclusive',
    'everyFact:lessThanInclusive',
  ],
  object: ['equal', 'notEqual'],
};

/**
 * The operators the editor offers for a fact: those that fit its type. With a `path` the value
 * is somewhere inside the fact, so every built-in operator fits. An operator already in use is
 * always offered, so a rule using a custom operator still loads and saves unchanged.
 *
 * @example operatorsFor({ name: 'spindleLoad', type: 'number' }) // ['equal', …, 'notIn']
 */
export function operatorsFor(
  fact: FactDefinition | undefined,
  options: { path?: string; current?: string } = {},
): string[] {
  const base = !fact || options.path ? BUILT_IN_OPERATORS : BY_TYPE[fact.type];
  const list = [...base];
  if (options.current && !list.includes(options.current)) list.push(options.current);
  return list;
}

/** What kind of input suits a condition's value: the fact's own type, or a list for `in` / `notIn`. */
export function valueKind(fact: FactDefinition | undefined, operator: string, path?: string): FactType | 'json' {
  const bare = operator.includes(':') ? operator.slice(operator.lastIndexOf(':') + 1) : operator;
  if (bare === 'in' || bare === 'notIn') return 'array';
  if (!fact || path) return 'json';
  if (fact.type === 'array')
    return bare === 'contains' || bare === 'doesNotContain' || operator.includes(':') ? 'json' : 'array';
  return fact.type;
}

/** Human words for an operator, shown on condition nodes. */
export function operatorLabel(operator: string): string {
  const words: Record<string, string> = {
    equal: '=',
    notEqual: '≠',
    lessThan: '<',
    lessThanInclusive: '≤',
    greaterThan: '>',
    greaterThanInclusive: '≥',
    in: 'in',
    notIn: 'not in',
    contains: 'contains',
    doesNotContain: 'does not contain',
  };
  const [decorator, bare] = operator.includes(':')
    ? [operator.slice(0, operator.lastIndexOf(':')), operator.slice(operator.lastIndexOf(':') + 1)]
    : ['', operator];
  const word = words[bare] ?? bare;
  return decorator ? `${decorator}: ${word}` : word;
}
