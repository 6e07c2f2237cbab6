import { describe, expect, it } from 'vitest';
import { RestartBackoff } from './restart-backoff';

describe('RestartBackoff', () => {
  const options = { initialMs: 500, maxMs: 4_000, stableMs: 60_000 };

  it('doubles the delay with every crash in a row, up to the maximum', () => {
    const backoff = new RestartBackoff(options);
    const delays = [];
    let now = 0;
    for (let i = 0; i < 6; i++) {
      backoff.started(now);
      now += 100;
      delays.push(backoff.nextDelay(now));
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(backoff.consecutiveFailures).toBe(6);
  });

  it('starts from the initial delay again after a stable run', () => {
    const backoff = new RestartBackoff(options);
    backoff.started(0);
    backoff.nextDelay(100);
    backoff.started(600);
    expect(backoff.nextDelay(700)).toBe(1_000);
    backoff.started(2_000);
    expect(backoff.nextDelay(2_000 + 60_000)).toBe(500);
  });
});
