import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { DataSource } from 'typeorm';

/* Runs in the worker: its own connection to the database file, checkpointing the WAL in the background. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const checkpoint = (mode) => {
  try {
    db.pragma('wal_checkpoint(' + mode + ')');
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
};
const timer = setInterval(() => checkpoint('PASSIVE'), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint('PASSIVE');
  db.close();
  parentPort.close();
});
`;

interface NativeDatabase {
  pragma(sql: string): unknown;
}

/**
 * Moves SQLite's WAL checkpoints (and their fsync) off the event loop: the gateway's connection
 * stops auto-checkpointing and a worker thread checkpoints every `intervalMs`. Should the worker
 * fail, auto-checkpointing is switched back on, so the WAL never grows without bound.
 */
export class WalCheckpointer {
  private worker?: Worker;
  private native?: NativeDatabase;

  constructor(
    private readonly dataSource: DataSource,
    private readonly intervalMs = 200,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  start(): boolean {
    const options = this.dataSource.options as { type: string; database?: unknown };
    const native = (this.dataSource.driver as unknown as { databaseConnection?: NativeDatabase }).databaseConnection;
    if (
      options.type !== 'better-sqlite3' ||
      typeof options.database !== 'string' ||
      options.database === ':memory:' ||
      !native?.pragma
    )
      return false;
    this.native = native;
    const module = createRequire(__filename).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, file: options.database, intervalMs: this.intervalMs },
    });
    this.worker.unref();
    this.worker.on('message', (message: { error?: string }) => {
      if (message.error) this.onError(`WAL checkpoint failed: ${message.error}`);
    });
    this.worker.on('error', (error) => this.fallBack(error.message));
    native.pragma('wal_autocheckpoint = 0');
    return true;
  }

  async stop(): Promise<void> {
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
    this.restoreAutoCheckpoint();
  }

  private fallBack(message: string): void {
    this.onError(`WAL checkpointer stopped (${message}); SQLite checkpoints on its own again`);
    this.worker = undefined;
    this.restoreAutoCheckpoint();
  }

  private restoreAutoCheckpoint(): void {
    if (!this.dataSource.isInitialized) return;
    try {
      this.native?.pragma('wal_autocheckpoint = 1000');
    } catch (error) {
      this.onError(`cannot restore WAL auto-checkpoint: ${(error as Error).message}`);
    }
  }
}
