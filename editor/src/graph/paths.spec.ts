import { describe, expect, it } from 'vitest';
import { isPathWithin, nodeForPath, nodeIdForPath, ruleRelativePath } from './paths';

const paths = {
  event: '$.event',
  c: '$.conditions',
  'c.all.1': '$.conditions.all[1]',
  'c.all.10': '$.conditions.all[10]',
};

describe('paths', () => {
  it('finds the node holding a field an issue points at', () => {
    expect(nodeForPath(paths, '$.conditions.all[1].operator')).toBe('c.all.1');
  });

  it('does not mistake input 10 for input 1', () => {
    expect(nodeForPath(paths, '$.conditions.all[10].value')).toBe('c.all.10');
  });

  it('puts rule-level fields on the event node', () => {
    expect(nodeForPath(paths, '$.name')).toBe('event');
  });

  it('finds no node for a path outside the rule’s graph', () => {
    expect(nodeForPath(paths, '$.facts[0]')).toBeUndefined();
  });

  it('makes a rule set path relative to its rule', () => {
    expect(ruleRelativePath('$.rules[2].conditions.all[0]', 2)).toBe('$.conditions.all[0]');
  });

  it('ignores paths of another rule', () => {
    expect(ruleRelativePath('$.rules[12].conditions', 1)).toBeUndefined();
  });

  it('matches paths only at segment boundaries', () => {
    expect(isPathWithin('$.conditionsX', '$.conditions')).toBe(false);
  });

  it('derives node ids that are safe in the DOM', () => {
    expect(nodeIdForPath('$.conditions.any[3].not')).toBe('c.any.3.not');
  });
});
