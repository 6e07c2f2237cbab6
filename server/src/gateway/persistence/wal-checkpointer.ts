import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { betterSqliteConnection } from './hot-reads';

/* Runs in the worker: its own connection to the database file; checkpoints in the mode the gateway asks for. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
const checkpoint = (mode) => {
  try {
    const [row] = db.pragma('wal_checkpoint(' + mode + ')');
    return { mode, busy: row.busy, log: row.log, checkpointed: row.checkpointed };
  } catch (error) {
    return { mode, error: String((error && error.message) || error) };
  }
};
const timer = setInterval(() => {
  const result = checkpoint('PASSIVE');
  if (result.error) parentPort.postMessage(result);
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'stop') {
    clearInterval(timer);
    checkpoint('PASSIVE');
    db.close();
    parentPort.close();
    return;
  }
  parentPort.postMessage({ id: message.id, ...checkpoint(message.mode) });
});
`;

interface NativeDatabase {
  pragma(sql: string): unknown;
}

/** `PASSIVE` never waits; `RESTART` and `TRUNCATE` wait for writers, then start the WAL over (TRUNCATE also empties the file). */
export type CheckpointMode = 'PASSIVE' | 'RESTART' | 'TRUNCATE';

export interface WalCheckpointOptions {
  /** How often the worker runs a passive checkpoint (ms). */
  passiveIntervalMs: number;
  /** How often the WAL's size is looked at and a reset considered (ms). */
  checkEveryMs: number;
  /**
   * Above this size the WAL is started over (RESTART) while writes go on. Passive checkpoints alone
   * never let SQLite start it over under steady writes: a commit always lands while they copy.
   * Writers wait only for the frames the last passive one left, and a sync.
   */
  restartBytes: number;
  /** No write for this long (ms) and the WAL is truncated to nothing. */
  idleMs: number;
  /** Above this size (a restart kept failing) the WAL is truncated whatever the load; writers wait for it. */
  ceilingBytes: number;
  /** The one clock; injected in tests. */
  now: () => number;
  onError: (message: string) => void;
  /** Registers `loopgate_sqlite_wal_bytes` here. */
  registry?: Registry;
}

export const DEFAULT_WAL_OPTIONS: Omit<WalCheckpointOptions, 'onError' | 'registry'> = {
  passiveIntervalMs: 50,
  checkEveryMs: 100,
  restartBytes: 8 * 1024 * 1024,
  idleMs: 2_000,
  ceilingBytes: 64 * 1024 * 1024,
  now: Date.now,
};

/** What the WAL file looked like at one check. */
interface WalObservation {
  bytes: number;
  mtimeMs: number;
}

/**
 * Which checkpoint a check runs: a truncate once writes have stopped for `idleMs` or above the
 * ceiling, a restart above `restartBytes` while writes go on, otherwise nothing beyond the worker's
 * passive ones.
 *
 * @example walCheckpointDecision({ bytes: 9e6, idleForMs: 0 }, DEFAULT_WAL_OPTIONS) // 'RESTART'
 */
export function walCheckpointDecision(
  wal: { bytes: number; idleForMs: number },
  options: Pick<WalCheckpointOptions, 'idleMs' | 'restartBytes' | 'ceilingBytes'>,
): CheckpointMode | undefined {
  if (wal.bytes === 0) return undefined;
  if (wal.bytes >= options.ceilingBytes) return 'TRUNCATE';
  if (wal.idleForMs >= options.idleMs) return 'TRUNCATE';
  if (wal.bytes >= options.restartBytes) return 'RESTART';
  return undefined;
}

export interface CheckpointResult {
  mode: CheckpointMode;
  /** 1 when a writer or reader kept the checkpoint from finishing. */
  busy?: number;
  log?: number;
  checkpointed?: number;
  error?: string;
}

/**
 * Keeps SQLite's WAL small without stalling dispatch. A worker thread (its own connection) runs
 * passive checkpoints every `passiveIntervalMs`, so their copying and fsync are off the event loop;
 * every `checkEveryMs` the gateway looks at the WAL file: above `restartBytes` the worker starts it
 * over; when no write touched it for `idleMs`, or it passed `ceilingBytes`, the worker truncates
 * it. `loopgate_sqlite_wal_bytes` reports its size. Under steady writes the WAL otherwise grew to
 * the ceiling, and its truncation held every writer for 50–65 ms each time.
 * Should the worker fail, SQLite's own auto-checkpoint is switched back on.
 */
export class WalCheckpointer {
  private worker?: Worker;
  private native?: NativeDatabase;
  private walFile?: string;
  private timer?: ReturnType<typeof setInterval>;
  private last?: WalObservation;
  private lastChangeAt = 0;
  private walBytes = 0;
  private nextId = 0;
  private checking?: Promise<CheckpointResult | undefined>;
  private readonly pending = new Map<number, (result: CheckpointResult) => void>();
  private readonly options: WalCheckpointOptions;

  constructor(
    private readonly dataSource: DataSource,
    onError: (message: string) => void = () => undefined,
    options: Partial<Omit<WalCheckpointOptions, 'onError'>> = {},
  ) {
    this.options = { ...DEFAULT_WAL_OPTIONS, ...options, onError };
    if (this.options.registry) {
      const bytes = () => this.walBytes;
      new Gauge({
        name: 'loopgate_sqlite_wal_bytes',
        help: 'Size of the SQLite write-ahead log file at the last check (0 on PostgreSQL)',
        registers: [this.options.registry],
        collect() {
          this.set(bytes());
        },
      });
    }
  }

  /** The WAL's size in bytes at the last check. */
  get bytes(): number {
    return this.walBytes;
  }

  start(): boolean {
    const options = this.dataSource.options as { type: string; database?: unknown };
    const native = betterSqliteConnection<NativeDatabase>(this.dataSource);
    if (
      options.type !== 'better-sqlite3' ||
      typeof options.database !== 'string' ||
      options.database === ':memory:' ||
      !native?.pragma
    )
      return false;
    this.native = native;
    this.walFile = `${options.database}-wal`;
    const module = createRequire(__filename).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module,
        file: options.database,
        intervalMs: this.options.passiveIntervalMs,
        busyTimeoutMs: 5_000,
      },
    });
    this.worker.unref();
    this.worker.on('message', (message: CheckpointResult & { id?: number }) => {
      if (message.error) this.options.onError(`WAL checkpoint (${message.mode}) failed: ${message.error}`);
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
    this.worker.on('error', (error) => this.fallBack(error.message));
    native.pragma('wal_autocheckpoint = 0');
    // Whenever a checkpoint starts the WAL over, SQLite shrinks a file left larger than this.
    native.pragma(`journal_size_limit = ${Math.floor(this.options.ceilingBytes / 4)}`);
    this.lastChangeAt = this.options.now();
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs);
    this.timer.unref();
    return true;
  }

  /**
   * One look at the WAL: updates the metric and, when `walCheckpointDecision` says so, has the
   * worker reset it. Resolves with the checkpoint run, if any; never two at a time.
   */
  check(): Promise<CheckpointResult | undefined> {
    this.checking ??= this.runCheck().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async runCheck(): Promise<CheckpointResult | undefined> {
    if (!this.worker || !this.walFile) return undefined;
    const now = this.options.now();
    const seen = this.observe();
    if (!this.last || seen.bytes !== this.last.bytes || seen.mtimeMs !== this.last.mtimeMs) this.lastChangeAt = now;
    this.last = seen;
    this.walBytes = seen.bytes;
    const mode = walCheckpointDecision({ bytes: seen.bytes, idleForMs: now - this.lastChangeAt }, this.options);
    if (!mode) return undefined;
    const result = await this.ask(mode);
    const after = this.observe();
    this.last = after;
    this.walBytes = after.bytes;
    if (result.busy && seen.bytes >= this.options.ceilingBytes) {
      this.options.onError(`WAL at ${seen.bytes} bytes is above its ceiling and could not be reset (busy)`);
    }
    return result;
  }

  private observe(): WalObservation {
    try {
      const stat = fs.statSync(this.walFile!);
      return { bytes: stat.size, mtimeMs: stat.mtimeMs };
    } catch {
      return { bytes: 0, mtimeMs: 0 };
    }
  }

  private ask(mode: CheckpointMode): Promise<CheckpointResult> {
    const worker = this.worker;
    if (!worker) return Promise.resolve({ mode, error: 'stopped' });
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ id, mode });
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    // Ref'd while stopping, so the process waits for the last checkpoint.
    worker.ref();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('stop');
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    await worker.terminate();
    this.settlePending('stopped');
    this.restoreAutoCheckpoint();
  }

  private settlePending(error: string): void {
    for (const resolve of this.pending.values()) resolve({ mode: 'PASSIVE', error });
    this.pending.clear();
  }

  private fallBack(message: string): void {
    this.options.onError(`WAL checkpointer stopped (${message}); SQLite checkpoints on its own again`);
    clearInterval(this.timer);
    this.worker = undefined;
    this.settlePending(message);
    this.restoreAutoCheckpoint();
  }

  private restoreAutoCheckpoint(): void {
    if (!this.dataSource.isInitialized) return;
    try {
      this.native?.pragma('wal_autocheckpoint = 1000');
    } catch (error) {
      this.options.onError(`cannot restore WAL auto-checkpoint: ${(error as Error).message}`);
    }
  }
}
