import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { describe, expect, it, vi } from 'vitest';
import { CoalescedLimiter } from './coalesced-limiter';

type Answer = { granted: boolean; remaining: number; consumed: number };

/** `count` requests for `key` in one turn of the event loop. */
function burst(limiter: CoalescedLimiter, key: string, count: number): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, () =>
      limiter.consume(key).then(
        (state) => ({ granted: true, remaining: state.remainingPoints, consumed: state.consumedPoints }),
        (state: RateLimiterRes) => ({
          granted: false,
          remaining: state.remainingPoints,
          consumed: state.consumedPoints,
        }),
      ),
    ),
  );
}

function counted(points: number): { limiter: CoalescedLimiter; consume: ReturnType<typeof vi.spyOn> } {
  const store = new RateLimiterMemory({ points, duration: 60 });
  const consume = vi.spyOn(store, 'consume');
  return { limiter: new CoalescedLimiter(store), consume };
}

describe('CoalescedLimiter', () => {
  it('counts a burst with one consume and answers each request as one consume each would have', async () => {
    const { limiter, consume } = counted(5);
    const answers = await burst(limiter, 'token:a', 8);
    expect(consume).toHaveBeenCalledTimes(1);
    expect(consume).toHaveBeenCalledWith('token:a', 8);
    expect(answers).toEqual([
      { granted: true, remaining: 4, consumed: 1 },
      { granted: true, remaining: 3, consumed: 2 },
      { granted: true, remaining: 2, consumed: 3 },
      { granted: true, remaining: 1, consumed: 4 },
      { granted: true, remaining: 0, consumed: 5 },
      { granted: false, remaining: 0, consumed: 6 },
      { granted: false, remaining: 0, consumed: 7 },
      { granted: false, remaining: 0, consumed: 8 },
    ]);
  });

  it('grants what is left of the window and refuses the rest when a burst crosses the limit', async () => {
    const { limiter, consume } = counted(5);
    expect((await burst(limiter, 'token:a', 3)).every((a) => a.granted)).toBe(true);
    const second = await burst(limiter, 'token:a', 4);
    expect(second.map((a) => a.granted)).toEqual([true, true, false, false]);
    expect(second.map((a) => a.consumed)).toEqual([4, 5, 6, 7]);
    expect(consume).toHaveBeenCalledTimes(2);
  });

  it('counts each key on its own', async () => {
    const { limiter, consume } = counted(2);
    const [a, b] = await Promise.all([burst(limiter, 'token:a', 3), burst(limiter, 'token:b', 1)]);
    expect(a.map((x) => x.granted)).toEqual([true, true, false]);
    expect(b).toEqual([{ granted: true, remaining: 1, consumed: 1 }]);
    expect(consume).toHaveBeenCalledTimes(2);
  });

  it('refuses the whole burst when the key is blocked without counting (the store limiter’s memory block)', async () => {
    const blocked = { points: 5, consume: () => Promise.reject(new RateLimiterRes(0, 30_000)) };
    const answers = await burst(new CoalescedLimiter(blocked as unknown as RateLimiterAbstract), 'token:a', 3);
    expect(answers).toEqual(Array.from({ length: 3 }, () => ({ granted: false, remaining: 0, consumed: 0 })));
  });

  it('passes a failure of the store to every request of the burst', async () => {
    const failing = { points: 5, consume: () => Promise.reject(new Error('database is locked')) };
    const limiter = new CoalescedLimiter(failing as unknown as RateLimiterAbstract);
    const results = await Promise.allSettled([limiter.consume('k'), limiter.consume('k')]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'granted'))).toEqual([
      'database is locked',
      'database is locked',
    ]);
  });
});
