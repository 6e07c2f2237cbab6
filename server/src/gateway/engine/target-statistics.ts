import type { Command } from '../domain/command';
import type { GatewayStore } from './ports';

const RATE_WINDOW_MS = 10_000;
const LAST_ERRORS = 10;

export interface TargetError {
  time: string;
  code: string;
  message: string;
}

/**
 * What the console shows per target: queue depth (counted in the store at each sweep, plus what
 * this process queued and finished since), writes applied in the last 10 s and the last errors.
 */
export class TargetStatistics {
  private counted = new Map<string, number>();
  private readonly delta = new Map<string, number>();
  private readonly appliedTimes = new Map<string, number[]>();
  private readonly lastErrors = new Map<string, TargetError[]>();

  constructor(
    private readonly store: Pick<GatewayStore, 'countQueuedByTarget'>,
    private readonly now: () => number,
  ) {}

  /** Counts queued and dispatching commands in the store (every process's). */
  async refresh(): Promise<void> {
    const counted = await this.store.countQueuedByTarget();
    this.delta.clear();
    this.counted = counted;
  }

  /** A command of this process entered the queue. */
  queued(command: Command): void {
    this.shift(command.target.instance, 1);
  }

  /** A command this process dispatched left the queue (`wasQueued`: it had been counted). */
  finished(command: Command, wasQueued: boolean): void {
    if (wasQueued) this.shift(command.target.instance, -1);
    if (command.state === 'applied' || command.state === 'reverted') {
      const times = this.appliedTimes.get(command.target.instance) ?? [];
      times.push(this.now());
      this.appliedTimes.set(command.target.instance, times.length > 10_000 ? times.slice(-5_000) : times);
    }
  }

  noteFailure(instance: string, code: string, message: string): void {
    const list = this.lastErrors.get(instance) ?? [];
    list.unshift({ time: new Date(this.now()).toISOString(), code, message });
    this.lastErrors.set(instance, list.slice(0, LAST_ERRORS));
  }

  queueDepth(instance: string): number {
    return Math.max(0, (this.counted.get(instance) ?? 0) + (this.delta.get(instance) ?? 0));
  }

  /** Writes applied per second over the last 10 s. */
  currentRate(instance: string): number {
    const now = this.now();
    const times = (this.appliedTimes.get(instance) ?? []).filter((t) => now - t < RATE_WINDOW_MS);
    this.appliedTimes.set(instance, times);
    return times.length / (RATE_WINDOW_MS / 1000);
  }

  errors(instance: string): TargetError[] {
    return [...(this.lastErrors.get(instance) ?? [])];
  }

  private shift(instance: string, by: number): void {
    this.delta.set(instance, (this.delta.get(instance) ?? 0) + by);
  }
}
