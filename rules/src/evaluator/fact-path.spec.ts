import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFactPath, jsonPathResolver, plainPathSegments } from './fact-path';

describe('plainPathSegments', () => {
  it.each([
    ['$.a.b', ['a', 'b']],
    ['$.a[0]', ['a', '0']],
    ["$['a b']", ['a b']],
    ['a.b', ['a', 'b']],
    ['$.s.length', ['s', 'length']],
  ])('reads %s as property steps', (path, segments) => {
    expect(plainPathSegments(path)).toEqual(segments);
  });

  it.each(['$', '$..a', '$.a.*', '$.a[?(@.x>1)]', '$.a[-1:]', '$.a[0,1]', '$.a.^', '$.@string()'])(
    'leaves %s to jsonpath-plus',
    (path) => {
      expect(plainPathSegments(path)).toBeUndefined();
    },
  );
});

describe('compileFactPath', () => {
  it('returns values that are not objects unchanged, as the almanac does', () => {
    expect(compileFactPath('$.a')(5)).toBe(5);
    expect(compileFactPath('$.a')(null)).toBe(null);
    expect(compileFactPath('$.a..b')('text')).toBe('text');
  });

  it('agrees with jsonpath-plus on every path and value', () => {
    const leaf = fc.oneof(
      fc.integer({ min: -2, max: 5 }),
      fc.constantFrom('', 'ab', 'x'),
      fc.boolean(),
      fc.constant(null),
      fc.constant(0),
    );
    const value = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'length', '0', 'c d'), tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    const path = fc.constantFrom(
      '$.a',
      '$.a.b',
      '$.a[0]',
      '$[0]',
      "$['c d']",
      '$.a.length',
      '$.b.0.a',
      '$.a.*',
      '$..a',
      '$.a[1:]',
      'a.b',
    );
    fc.assert(
      fc.property(value, path, (v, p) => {
        const expected = v != null && typeof v === 'object' ? jsonPathResolver(v, p) : v;
        expect(compileFactPath(p)(v)).toStrictEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
