import { describe, expect, it } from 'vitest';
import { judgeEffect, type EffectCheck } from './effect';

const check: EffectCheck = { kpi: 'CNC-01/spindleLoad', expected: 'decrease', windowSeconds: 60, tolerance: 2 };
const T = 1_000_000;
const samples = (before: number[], after: number[]) => [
  ...before.map((value, i) => ({ at: T - 50_000 + i * 10_000, value })),
  ...after.map((value, i) => ({ at: T + 10_000 + i * 10_000, value })),
];

describe('effect verdicts', () => {
  it('is improved when the KPI moves the expected way beyond the tolerance', () => {
    const result = judgeEffect(check, T, samples([80, 82, 81], [74, 75, 76]));
    expect(result.verdict).toBe('improved');
    expect(result.before?.mean).toBe(81);
    expect(result.after?.mean).toBe(75);
    expect(result.delta).toBe(-6);
  });

  it('is adverse when the KPI moves the other way beyond the tolerance', () => {
    expect(judgeEffect(check, T, samples([70, 70], [75, 76])).verdict).toBe('adverse');
  });

  it('is no change within the tolerance, either way', () => {
    expect(judgeEffect(check, T, samples([70, 70], [71.5, 72])).verdict).toBe('no-change');
    expect(judgeEffect(check, T, samples([70, 70], [68.5, 68])).verdict).toBe('no-change');
  });

  it('mirrors the verdict for a KPI expected to increase', () => {
    expect(judgeEffect({ ...check, expected: 'increase' }, T, samples([70], [75])).verdict).toBe('improved');
  });

  it('is no-data when one side has no sample, and ignores samples outside the window', () => {
    const outside = [
      { at: T - 61_000, value: 10 },
      { at: T + 61_000, value: 99 },
    ];
    expect(judgeEffect(check, T, [...outside, { at: T + 5_000, value: 70 }]).verdict).toBe('no-data');
    expect(judgeEffect(check, T, [...outside, ...samples([70], [75])]).verdict).toBe('adverse');
  });

  it('does not count a sample taken at the moment of the write on either side', () => {
    expect(
      judgeEffect(check, T, [
        { at: T, value: 50 },
        { at: T + 1, value: 50 },
      ]).verdict,
    ).toBe('no-data');
  });

  describe('against the trend before the write', () => {
    const trend: EffectCheck = { ...check, compare: 'trend' };
    /** A load rising 1 per 10 s by itself: 80, 81, 82 … at one sample every 10 s around the write. */
    const rising = (drop: number) =>
      Array.from({ length: 12 }, (_, i) => {
        const at = T - 55_000 + i * 10_000;
        return { at, value: 80 + i - (at > T ? drop : 0) };
      });

    it('calls a cut that holds a drifting KPI below its trend improved, where the means call it adverse', () => {
      // The write takes 3 off a load that keeps rising 1 every 10 s: 3 above the mean before (82.5 →
      // 85.5), 3 below where the trend was going (88.5).
      expect(judgeEffect(check, T, rising(3))).toMatchObject({ verdict: 'adverse', delta: 3 });
      const result = judgeEffect(trend, T, rising(3));
      expect(result).toMatchObject({ verdict: 'improved', compared: 'trend' });
      expect(result.expectedAfter).toBeCloseTo(88.5, 6);
      expect(result.delta).toBeCloseTo(-3, 6);
    });

    it('calls a KPI that just follows its trend no change', () => {
      expect(judgeEffect(trend, T, rising(0))).toMatchObject({ verdict: 'no-change', compared: 'trend' });
    });

    it('compares the means when fewer than three samples before the write make no trend', () => {
      const result = judgeEffect(trend, T, samples([80, 82], [74, 75, 76]));
      expect(result).toMatchObject({ verdict: 'improved', compared: 'means', delta: -6 });
      expect(result.expectedAfter).toBeUndefined();
    });
  });
});
