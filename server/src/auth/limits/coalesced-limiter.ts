import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

interface Waiting {
  resolve(state: RateLimiterRes): void;
  reject(reason: unknown): void;
}

/**
 * Counts a key's requests that arrive in the same turn of the event loop with one `consume(key, n)`
 * instead of n: one write to the store for a burst instead of one per request. The answers are the
 * ones n consumes one after the other would have given. The k-th request of the burst is counted as
 * the k-th point taken, granted while that is within the limit and refused after it, with the
 * remaining points and the refused count it would have seen alone. Nothing is reserved ahead of
 * demand, so several gateway processes sharing the store grant exactly the limit between them.
 */
export class CoalescedLimiter {
  private readonly waiting = new Map<string, Waiting[]>();
  private scheduled = false;

  constructor(readonly limiter: RateLimiterAbstract) {}

  get points(): number {
    return this.limiter.points;
  }

  /** Resolves with the state after this request, or rejects with it once the limit is passed. */
  consume(key: string): Promise<RateLimiterRes> {
    return new Promise<RateLimiterRes>((resolve, reject) => {
      const queue = this.waiting.get(key);
      if (queue) queue.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        // After the poll phase: every request whose bytes arrived in this turn is counted together.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const bursts = [...this.waiting];
    this.waiting.clear();
    for (const [key, queue] of bursts) void this.settle(key, queue);
  }

  private async settle(key: string, queue: Waiting[]): Promise<void> {
    let state: RateLimiterRes;
    try {
      state = await this.limiter.consume(key, queue.length);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) {
        for (const waiting of queue) waiting.reject(error);
        return;
      }
      // Refused without counting: the key is blocked in this process's memory until the window ends.
      if (error.consumedPoints <= this.points) {
        for (const waiting of queue) waiting.reject(error);
        return;
      }
      state = error;
    }
    const before = state.consumedPoints - queue.length;
    queue.forEach((waiting, index) => {
      const consumed = before + index + 1;
      const own = new RateLimiterRes(
        Math.max(0, this.points - consumed),
        state.msBeforeNext,
        consumed,
        state.isFirstInDuration && index === 0,
      );
      if (consumed <= this.points) waiting.resolve(own);
      else waiting.reject(own);
    });
  }
}
