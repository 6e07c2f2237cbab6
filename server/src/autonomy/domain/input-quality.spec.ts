import { describe, expect, it } from 'vitest';
import { inputRefusal, qualityOf, type InputQualityPolicy } from './input-quality';

const NOW = Date.parse('2026-12-03T08:00:00.000Z');
const policy: InputQualityPolicy = { maxAgeSeconds: 10, maxClockSkewSeconds: 2, refuseUncertain: true };
const at = (offsetSeconds: number) => new Date(NOW + offsetSeconds * 1000).toISOString();

describe('input quality', () => {
  it('reads the severity from the OPC UA status code', () => {
    expect(qualityOf({ name: 'a', statusCode: 0 })).toBe('good');
    expect(qualityOf({ name: 'a', statusCode: 0x40920000 })).toBe('uncertain');
    expect(qualityOf({ name: 'a', statusCode: 0x80340000 })).toBe('bad');
    expect(qualityOf({ name: 'a', statusCode: 0xc0000000 })).toBe('bad');
    expect(qualityOf({ name: 'a', quality: 'uncertain' })).toBe('uncertain');
    expect(qualityOf({ name: 'a' })).toBe('good');
  });

  it('accepts good, fresh inputs and decisions without inputs', () => {
    expect(inputRefusal([{ name: 'load', statusCode: 0, sourceTime: at(-3) }], policy, NOW)).toBeUndefined();
    expect(inputRefusal(undefined, policy, NOW)).toBeUndefined();
  });

  it('refuses a Bad input with its status', () => {
    expect(inputRefusal([{ name: 'load', statusCode: 0x80340000 }], policy, NOW)).toMatchObject({
      code: 'INPUT_BAD',
      message: 'input load has Bad quality (status 0x80340000)',
    });
  });

  it('refuses an Uncertain input unless the site allows it', () => {
    expect(inputRefusal([{ name: 'load', quality: 'uncertain' }], policy, NOW)?.code).toBe('INPUT_UNCERTAIN');
    expect(
      inputRefusal([{ name: 'load', quality: 'uncertain' }], { ...policy, refuseUncertain: false }, NOW),
    ).toBeUndefined();
  });

  it('refuses a stale input past the age limit, not at it', () => {
    expect(inputRefusal([{ name: 'load', sourceTime: at(-10) }], policy, NOW)).toBeUndefined();
    expect(inputRefusal([{ name: 'load', sourceTime: at(-10.5) }], policy, NOW)?.code).toBe('INPUT_STALE');
    expect(
      inputRefusal([{ name: 'load', sourceTime: at(-3600) }], { ...policy, maxAgeSeconds: undefined }, NOW),
    ).toBeUndefined();
  });

  it('refuses an input stamped ahead of the gateway clock beyond the skew allowed', () => {
    expect(inputRefusal([{ name: 'load', sourceTime: at(1.5) }], policy, NOW)).toBeUndefined();
    expect(inputRefusal([{ name: 'load', sourceTime: at(30) }], policy, NOW)).toMatchObject({
      code: 'CLOCK_SKEW',
      input: 'load',
    });
  });

  it('names the first offending input of several', () => {
    const inputs = [
      { name: 'temp', statusCode: 0 },
      { name: 'load', statusCode: 0x80000000 },
    ];
    expect(inputRefusal(inputs, policy, NOW)?.input).toBe('load');
  });
});
