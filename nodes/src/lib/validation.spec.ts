import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { isoTime, isPlainObject, IssueList, num, scalarMap, text } from './validation';

describe('isPlainObject', () => {
  it('accepts objects built in a function node sandbox (another realm)', () => {
    expect(isPlainObject(runInNewContext('({ score: 0.5 })'))).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
  });

  it('refuses arrays, dates, buffers, class instances and null', () => {
    for (const value of [[], new Date(), Buffer.from('x'), new (class Lot {})(), null, runInNewContext('[1]')]) {
      expect(isPlainObject(value)).toBe(false);
    }
  });
});

describe('field checks', () => {
  it('accepts numeric text for numbers and refuses the rest', () => {
    const issues = new IssueList();
    expect(num(issues, ' 12.5 ', '$.a', true)).toBe(12.5);
    expect(num(issues, true, '$.b', true)).toBeUndefined();
    expect(num(issues, '1e400', '$.c', true)).toBeUndefined();
    expect(issues.issues.map((i) => [i.path, i.code])).toEqual([
      ['$.b', 'TYPE_MISMATCH'],
      ['$.c', 'TYPE_MISMATCH'],
    ]);
  });

  it('reads a Date from another realm as a time', () => {
    const issues = new IssueList();
    expect(isoTime(issues, runInNewContext('new Date(0)'), '$.t', true)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('trims text and refuses objects as text', () => {
    const issues = new IssueList();
    expect(text(issues, '  LOT-1 ', '$.id', true)).toBe('LOT-1');
    expect(text(issues, { id: 1 }, '$.x', true)).toBeUndefined();
    expect(issues.issues[0]).toEqual({ code: 'TYPE_MISMATCH', path: '$.x', message: 'must be text, got object' });
  });

  it('names each property of a map that is not a scalar', () => {
    const issues = new IssueList();
    expect(scalarMap(issues, runInNewContext('({ a: 1, b: { c: 2 } })'), '$.properties')).toEqual({ a: 1 });
    expect(issues.issues[0].path).toBe('$.properties.b');
  });
});
