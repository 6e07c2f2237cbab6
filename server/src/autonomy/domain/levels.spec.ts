import { describe, expect, it } from 'vitest';
import { levelAbove, levelBelow, matchesScope, mostSpecificScope, scopeIdOf, selectorOf } from './levels';

const subject = { target: 'opcenter-demo', parameter: 'FeedRate', model: 'tool-wear' };

describe('scope matching', () => {
  it('matches exact names and * patterns in every part', () => {
    expect(matchesScope({ target: 'opcenter-*', parameter: 'Feed*', model: 'tool-wear' }, subject)).toBe(true);
    expect(matchesScope({ target: '*', parameter: '*', model: '*' }, subject)).toBe(true);
  });

  it('does not match another model or parameter', () => {
    expect(matchesScope({ target: '*', parameter: '*', model: 'bearing' }, subject)).toBe(false);
    expect(matchesScope({ target: '*', parameter: 'SpindleSpeed', model: '*' }, subject)).toBe(false);
  });

  it('picks the most specific scope: an exact model beats a pattern, then parameter, then target', () => {
    const scopes = [
      { target: 'opcenter-demo', parameter: 'FeedRate', model: '*' },
      { target: '*', parameter: '*', model: 'tool-wear' },
      { target: '*', parameter: 'FeedRate', model: 'tool-wear' },
      { target: '*', parameter: '*', model: '*' },
    ];
    expect(mostSpecificScope(scopes, subject)).toEqual({ target: '*', parameter: 'FeedRate', model: 'tool-wear' });
  });

  it('prefers a longer fixed pattern over a shorter one', () => {
    const scopes = [
      { target: '*', parameter: 'F*', model: 'tool-wear' },
      { target: '*', parameter: 'Feed*', model: 'tool-wear' },
    ];
    expect(mostSpecificScope(scopes, subject)?.parameter).toBe('Feed*');
  });

  it('returns undefined when no scope matches', () => {
    expect(mostSpecificScope([{ target: 'aveva-*', parameter: '*', model: '*' }], subject)).toBeUndefined();
  });

  it('round-trips a scope id', () => {
    const selector = { target: 'opcenter-demo', parameter: 'Feed*', model: 'tool-wear' };
    expect(selectorOf(scopeIdOf(selector))).toEqual(selector);
  });

  it('moves one level at a time and stops at the ends', () => {
    expect(levelAbove('shadow')).toBe('supervised');
    expect(levelAbove('autonomous')).toBeUndefined();
    expect(levelBelow('autonomous')).toBe('supervised');
    expect(levelBelow('shadow')).toBe('shadow');
  });
});
