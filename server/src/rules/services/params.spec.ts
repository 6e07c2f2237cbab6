import { describe, expect, it } from 'vitest';
import { ruleSetIdParam, versionParam } from './params';

describe('route parameters', () => {
  it('accepts a rule set id and refuses a path', () => {
    expect(ruleSetIdParam('tool-wear_2.1')).toBe('tool-wear_2.1');
    expect(() => ruleSetIdParam('../etc')).toThrow(expect.objectContaining({ code: 'INVALID_ID', status: 400 }));
  });

  it('reads versions from 1 and latest only where allowed', () => {
    expect(versionParam('12')).toBe(12);
    expect(versionParam('latest', true)).toBe('latest');
    expect(() => versionParam('latest')).toThrow(expect.objectContaining({ code: 'INVALID_VERSION' }));
    expect(() => versionParam('0')).toThrow(expect.objectContaining({ code: 'INVALID_VERSION' }));
    expect(() => versionParam('1e3')).toThrow(expect.objectContaining({ code: 'INVALID_VERSION' }));
  });
});
