import { describe, expect, it } from 'vitest';
import { InputClocks } from './input-clocks';

const NOW = Date.parse('2026-12-03T08:00:00.000Z');
const POLICY = { maxClockSkewSeconds: 5, refuseUncertain: true };
const at = (seconds: number) => new Date(NOW + seconds * 1000).toISOString();

describe('InputClocks', () => {
  it('keeps the latest reading per input, the most skewed first, flagged past the allowed skew', () => {
    const clocks = new InputClocks();
    clocks.record([{ name: 'load', sourceTime: at(-0.3), statusCode: 0 }], NOW, POLICY);
    clocks.record([{ name: 'temp', sourceTime: at(7.25), statusCode: 0x40000000 }], NOW, POLICY);
    clocks.record([{ name: 'load', sourceTime: at(-2), statusCode: 0 }], NOW, POLICY);
    expect(clocks.list()).toEqual([
      { name: 'temp', sourceTime: at(7.25), seenAt: at(0), skewSeconds: 7.25, quality: 'uncertain', skewed: true },
      { name: 'load', sourceTime: at(-2), seenAt: at(0), skewSeconds: -2, quality: 'good', skewed: false },
    ]);
  });

  it('ignores inputs without a usable source time', () => {
    const clocks = new InputClocks();
    clocks.record([{ name: 'a' }, { name: 'b', sourceTime: 'yesterday' }], NOW, POLICY);
    clocks.record(undefined, NOW, POLICY);
    expect(clocks.list()).toEqual([]);
  });

  it('forgets the input heard from longest ago beyond its capacity', () => {
    const clocks = new InputClocks(2);
    for (const name of ['a', 'b', 'a', 'c']) clocks.record([{ name, sourceTime: at(0) }], NOW, POLICY);
    expect(
      clocks
        .list()
        .map((c) => c.name)
        .sort(),
    ).toEqual(['a', 'c']);
  });
});
