/** Why dispatch waits: the global kill switch, a paused target, or a target marked down. */
export type GateState = 'open' | 'stopped' | 'paused' | 'down';

interface Waiter {
  target: string;
  /** What waits (a command id), for `holding`. */
  label?: string;
  resolve: (result: 'open' | 'deadline' | 'closed') => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The kill switch, per-target pause and targets marked down. Dispatch asks before every attempt; stopping takes effect
 * for the next attempt at once, and waiting commands go on in their order when resumed.
 */
export class ControlGate {
  /** The engine's clock (epoch ms), for deadlines. */
  constructor(private readonly now: () => number = Date.now) {}

  private stopped = false;
  private readonly paused = new Set<string>();
  private readonly down = new Set<string>();
  private waiters: Waiter[] = [];
  private closed = false;
  private readonly sleepers = new Set<() => void>();

  state(target: string): GateState {
    if (this.stopped) return 'stopped';
    if (this.paused.has(target)) return 'paused';
    return this.down.has(target) ? 'down' : 'open';
  }

  isStopped(): boolean {
    return this.stopped;
  }

  isPaused(target: string): boolean {
    return this.paused.has(target);
  }

  setStopped(stopped: boolean): void {
    this.stopped = stopped;
    this.wake();
  }

  setPaused(target: string, paused: boolean): void {
    if (paused) this.paused.add(target);
    else this.paused.delete(target);
    this.wake();
  }

  /** A target marked down holds its queues like a pause, until it is marked up. */
  setDown(target: string, down: boolean): void {
    if (down) this.down.add(target);
    else this.down.delete(target);
    this.wake();
  }

  /**
   * Resolves `open` when dispatch to `target` may go on, `deadline` when `deadline` (epoch ms) passes
   * first, `closed` when the gateway shuts down. `label` names what waits (see `holding`).
   */
  waitOpen(target: string, deadline: number, label?: string): Promise<'open' | 'deadline' | 'closed'> {
    if (this.closed) return Promise.resolve('closed');
    if (this.state(target) === 'open') return Promise.resolve('open');
    return new Promise((resolve) => {
      const waiter: Waiter = { target, resolve, ...(label !== undefined ? { label } : {}) };
      const delay = deadline - this.now();
      waiter.timer = setTimeout(() => this.settle(waiter, 'deadline'), Math.max(0, Math.min(delay, 2 ** 31 - 1)));
      this.waiters.push(waiter);
    });
  }

  /** Waits `ms` (a backoff); resolves `closed` at once when the gateway shuts down meanwhile. */
  sleep(ms: number): Promise<'slept' | 'closed'> {
    if (this.closed) return Promise.resolve('closed');
    return new Promise((resolve) => {
      const sleeper = () => {
        this.sleepers.delete(sleeper);
        clearTimeout(timer);
        resolve('closed');
      };
      const timer = setTimeout(() => {
        this.sleepers.delete(sleeper);
        resolve('slept');
      }, ms);
      this.sleepers.add(sleeper);
    });
  }

  /** Releases every waiter with `closed`; used at shutdown. */
  close(): void {
    this.closed = true;
    for (const sleeper of [...this.sleepers]) sleeper();
    for (const waiter of [...this.waiters]) this.settle(waiter, 'closed');
  }

  waiting(): number {
    return this.waiters.length;
  }

  /** Whether the dispatch labelled `label` (a command id) waits at the closed gate now. */
  holding(label: string): boolean {
    return this.waiters.some((waiter) => waiter.label === label);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) if (this.state(waiter.target) === 'open') this.settle(waiter, 'open');
  }

  private settle(waiter: Waiter, result: 'open' | 'deadline' | 'closed'): void {
    if (!this.waiters.includes(waiter)) return;
    this.waiters = this.waiters.filter((w) => w !== waiter);
    if (waiter.timer) clearTimeout(waiter.timer);
    waiter.resolve(result);
  }
}
