import type { ControlGate } from '../domain/control-gate';

/** When a target is marked down and how it is probed. */
export interface AvailabilityOptions {
  /** Consecutive outage signals (5xx, refused or silent connection) that mark a target down. */
  downAfter: number;
  /** Backoff between probes of a down target: exponential from `probeInitialMs` up to `probeMaxMs`. */
  probeInitialMs: number;
  probeMaxMs: number;
}

export const DEFAULT_AVAILABILITY: Readonly<AvailabilityOptions> = Object.freeze({
  downAfter: 3,
  probeInitialMs: 500,
  probeMaxMs: 30_000,
});

/** A target marked down: since when, why, and when it is probed next. */
export interface TargetDown {
  since: string;
  /** Why it was marked down. */
  reason: string;
  probes: number;
  /** What the last probe answered. */
  lastProbe?: string;
  nextProbeAt: string;
}

interface Entry {
  consecutive: number;
  down?: TargetDown;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Which targets are up. Consecutive outage signals from dispatch mark a
 * target down: the gate holds every key's queue of that target (an outage delays, it does not fail),
 * and one probe at a time asks the target's health with backoff; a healthy probe, or any answer
 * dispatch gets meanwhile, marks it up and the queues go on in their order. The engine stores every
 * verdict reached here, and a verdict another process stored is taken over (`adopt`, `release`):
 * every gateway process on one database holds and shows the same targets down.
 *
 * @example
 * const availability = new TargetAvailability(gate, Date.now, (i) => adapters.get(i).health(), onChange);
 * availability.outage('ft-line1', 'HTTP_503: busy'); // the third in a row marks it down
 */
export class TargetAvailability {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    private readonly gate: ControlGate,
    private readonly now: () => number,
    private readonly probe: (instance: string) => Promise<{ healthy: boolean; message?: string }>,
    /** Called on every change; `told` when another process's stored verdict caused it (nothing to store). */
    private readonly changed: (instance: string, down: TargetDown | undefined, told?: boolean) => void,
    private readonly optionsOf: (instance: string) => AvailabilityOptions = () => DEFAULT_AVAILABILITY,
  ) {}

  /** Dispatch got no answer, or a 5xx, from `instance`. */
  outage(instance: string, reason: string): void {
    const entry = this.entry(instance);
    entry.consecutive += 1;
    if (entry.down || entry.consecutive < this.optionsOf(instance).downAfter || this.closed) return;
    entry.down = {
      since: new Date(this.now()).toISOString(),
      reason: `${entry.consecutive} outage signals in a row, the last: ${reason}`,
      probes: 0,
      nextProbeAt: '',
    };
    this.gate.setDown(instance, true);
    this.schedule(instance, entry);
    this.changed(instance, entry.down);
  }

  /** `instance` answered (a read, a write, a probe): its outage run ends, and it is up again if it was down. */
  success(instance: string): void {
    const entry = this.entry(instance);
    entry.consecutive = 0;
    if (!entry.down) return;
    this.markUp(instance, entry, false);
  }

  private markUp(instance: string, entry: Entry, told: boolean): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.down = undefined;
    this.gate.setDown(instance, false);
    this.changed(instance, undefined, told);
  }

  /**
   * Another gateway process marked `instance` down (its stored verdict): the queues here hold too,
   * and this process probes it as well, with its own backoff.
   */
  adopt(instance: string, down: TargetDown): void {
    const entry = this.entry(instance);
    if (entry.down || this.closed) return;
    entry.down = { since: down.since, reason: down.reason, probes: 0, nextProbeAt: '' };
    this.gate.setDown(instance, true);
    this.schedule(instance, entry);
    this.changed(instance, entry.down, true);
  }

  /** Another gateway process saw `instance` answer again (its stored verdict): up here too. */
  release(instance: string): void {
    const entry = this.entry(instance);
    entry.consecutive = 0;
    if (!entry.down) return;
    this.markUp(instance, entry, true);
  }

  /** The target's state: `undefined` while up. */
  downState(instance: string): TargetDown | undefined {
    const down = this.entries.get(instance)?.down;
    return down ? { ...down } : undefined;
  }

  isDown(instance: string): boolean {
    return this.entries.get(instance)?.down !== undefined;
  }

  /** Probing may run (start, or a start after a stop). */
  start(): void {
    this.closed = false;
  }

  /** Stops probing (shutdown). */
  close(): void {
    this.closed = true;
    for (const entry of this.entries.values()) if (entry.timer) clearTimeout(entry.timer);
  }

  private schedule(instance: string, entry: Entry): void {
    const down = entry.down;
    if (!down || this.closed) return;
    const options = this.optionsOf(instance);
    const delay = Math.min(options.probeMaxMs, options.probeInitialMs * 2 ** Math.min(down.probes, 30));
    down.nextProbeAt = new Date(this.now() + delay).toISOString();
    entry.timer = setTimeout(() => void this.runProbe(instance, entry), delay);
    entry.timer.unref?.();
  }

  private async runProbe(instance: string, entry: Entry): Promise<void> {
    entry.timer = undefined;
    if (!entry.down || this.closed) return;
    let healthy = false;
    let message = '';
    try {
      const health = await this.probe(instance);
      healthy = health.healthy;
      message = health.message ?? '';
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    if (!entry.down) return;
    if (healthy) {
      this.success(instance);
      return;
    }
    entry.down.probes += 1;
    entry.down.lastProbe = message || 'unhealthy';
    this.schedule(instance, entry);
    this.changed(instance, entry.down);
  }

  private entry(instance: string): Entry {
    let entry = this.entries.get(instance);
    if (!entry) {
      entry = { consecutive: 0 };
      this.entries.set(instance, entry);
    }
    return entry;
  }
}
