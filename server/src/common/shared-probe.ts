import { SYSTEM_CLOCK, type Clock } from './clock';

/**
 * One probe shared by every caller: it answers from the last result while that is younger than
 * `maxAgeMs`, and callers that arrive while a probe runs wait for that probe instead of starting
 * their own. A public route that reports on a MES (`/health`, read by every load balancer and
 * open to anyone) must not turn each of its requests into a call to the MES.
 *
 * @example
 * const probe = new SharedProbe(() => adapter.health(), 5_000);
 * await Promise.all([probe.get(), probe.get()]); // one call to adapter.health()
 */
export class SharedProbe<T> {
  private last?: { at: number; value: T };
  private running?: Promise<T>;

  constructor(
    private readonly probe: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {}

  /** The last probe's answer, without probing; undefined before the first. */
  get latest(): T | undefined {
    return this.last?.value;
  }

  get(): Promise<T> {
    if (this.last && this.clock.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.value);
    this.running ??= this.probe()
      .then((value) => {
        this.last = { at: this.clock.now(), value };
        return value;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
