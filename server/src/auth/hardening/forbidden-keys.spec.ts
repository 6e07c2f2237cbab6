import { describe, expect, it } from 'vitest';
import { findInputProblem, MAX_INPUT_DEPTH } from './forbidden-keys';

describe('findInputProblem', () => {
  it('accepts ordinary input', () => {
    expect(findInputProblem({ a: [1, { b: 'c' }], d: null })).toBeUndefined();
    expect(findInputProblem(undefined)).toBeUndefined();
  });

  it('finds __proto__ as JSON.parse creates it, with its path', () => {
    expect(findInputProblem(JSON.parse('{"a":{"__proto__":{"admin":true}}}'))).toMatchObject({
      code: 'FORBIDDEN_KEY',
      path: '$.a.__proto__',
    });
  });

  it('finds constructor and prototype inside arrays', () => {
    expect(findInputProblem({ list: [{}, { constructor: { prototype: 1 } }] })).toMatchObject({
      code: 'FORBIDDEN_KEY',
      path: '$.list[1].constructor',
    });
    expect(findInputProblem({ x: { prototype: 1 } }, '$query')).toMatchObject({ path: '$query.x.prototype' });
  });

  it('refuses nesting deeper than the limit without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findInputProblem(deep)).toMatchObject({ code: 'TOO_DEEP' });
    let fine: unknown = 1;
    for (let i = 0; i < MAX_INPUT_DEPTH - 1; i++) fine = { a: fine };
    expect(findInputProblem(fine)).toBeUndefined();
  });
});
