/** Timers as a dependency, so restart schedules run under fake timers in tests. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RestartBackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A process that stayed up this long counts as healthy: the next crash starts from `initialMs` again. */
  stableMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = { initialMs: 500, maxMs: 30_000, stableMs: 60_000 };

/**
 * Delays between restarts of a crashing process: doubling from `initialMs` up to `maxMs`, back to
 * `initialMs` once a run lasted `stableMs`.
 *
 * @example
 * const backoff = new RestartBackoff(DEFAULT_RESTART_BACKOFF);
 * backoff.started(0); backoff.nextDelay(100); // 500
 * backoff.started(600); backoff.nextDelay(700); // 1000
 */
export class RestartBackoff {
  private failures = 0;
  private startedAt?: number;

  constructor(private readonly options: RestartBackoffOptions = DEFAULT_RESTART_BACKOFF) {}

  started(at: number): void {
    this.startedAt = at;
  }

  /** How long to wait before the next start, given that the process ended at `endedAt`. */
  nextDelay(endedAt: number): number {
    if (this.startedAt !== undefined && endedAt - this.startedAt >= this.options.stableMs) this.failures = 0;
    const delay = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.failures);
    this.failures++;
    return delay;
  }

  /** Consecutive crashes without a stable run in between. */
  get consecutiveFailures(): number {
    return this.failures;
  }
}
