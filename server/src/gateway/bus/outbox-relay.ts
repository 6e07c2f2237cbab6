import { CONSOLE_LOGGER, type EngineLogger, type GatewayStore, type OutboxRow } from '../engine/ports';

export interface OutboxRelayOptions {
  /** Rows per relay step (one produce request). */
  batchSize?: number;
  /** How often the outbox is looked at without a nudge: rows of other gateway processes, or left by one that died. */
  pollIntervalMs?: number;
  /** Longest wait between tries while the broker fails. */
  maxBackoffMs?: number;
  logger?: EngineLogger;
}

/**
 * The relay of the transactional outbox to a broker. A step takes the oldest outbox rows in
 * sequence order, hands them to `publish` (which resolves once the broker acknowledged them) and
 * only then removes them. One step runs at a time across every gateway process (the store's
 * relay lock), so the broker receives each ordering key's commands in the order they were
 * accepted, and whichever process takes the next step continues from the stored rows. A step
 * that fails (broker down, crash) leaves its rows to the next one: a row may reach the broker
 * twice, but never after a later row of its key, and is never skipped.
 *
 * @example
 * const relay = new OutboxRelay(store, (rows) => Promise.all(rows.map((row) => topic.publish(row))).then(() => undefined));
 * relay.start();
 * relay.nudge(); // after this process committed outbox rows
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly logger: EngineLogger;
  private started = false;
  /** Rows committed here that no completed step has read yet. */
  private owed = false;
  private nudgedDuringStep = false;
  private timer?: ReturnType<typeof setTimeout>;
  private immediate?: ReturnType<typeof setImmediate>;
  private running?: Promise<void>;
  private failures = 0;
  private busy = 0;

  constructor(
    private readonly store: Pick<GatewayStore, 'relayOutbox'>,
    private readonly publish: (rows: OutboxRow[]) => Promise<void>,
    options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.logger = options.logger ?? CONSOLE_LOGGER;
  }

  /** Starts relaying, beginning with what the outbox holds now. */
  start(): void {
    this.started = true;
    this.nudge();
  }

  /** This process committed outbox rows: relay them without waiting for the next poll. */
  nudge(): void {
    this.owed = true;
    if (this.running) this.nudgedDuringStep = true;
    // While the broker fails, the backoff decides when to try again.
    else if (this.started && this.failures === 0) this.schedule(0);
  }

  /** Stops relaying; waits for the step in progress (its rows are removed only if it completes). */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (delayMs <= 0) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.run();
      });
      return;
    }
    this.timer = setTimeout(() => this.run(), delayMs);
    // The idle poll alone does not keep a process alive.
    this.timer.unref();
  }

  private run(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.started || this.running) return;
    this.running = this.step()
      .catch((error: unknown) => {
        // step() handles the store's and the broker's failures; anything else is a bug, reported.
        this.logger.error(`outbox relay: ${(error as Error).stack ?? String(error)}`);
        return this.pollIntervalMs;
      })
      .then((delayMs) => {
        this.running = undefined;
        if (this.started) this.schedule(this.nudgedDuringStep && this.failures === 0 ? 0 : delayMs);
      });
  }

  /** One relay step; returns how long to wait before the next one. */
  private async step(): Promise<number> {
    this.nudgedDuringStep = false;
    let result: Awaited<ReturnType<GatewayStore['relayOutbox']>>;
    try {
      result = await this.store.relayOutbox(this.batchSize, this.publish);
    } catch (error) {
      // The rows stay; the next step publishes them again (the broker may hold some of them already).
      this.failures += 1;
      const delay = Math.min(this.maxBackoffMs, 100 * 2 ** Math.min(this.failures - 1, 10));
      this.logger.warn(`outbox relay step failed, retrying in ~${delay} ms: ${(error as Error).message}`);
      return delay * (0.5 + Math.random() / 2);
    }
    this.failures = 0;
    if (result === undefined) {
      // Another process is relaying; rows committed here after its step read the outbox need a step of their own.
      this.busy += 1;
      return this.owed ? Math.min(this.pollIntervalMs, 5 * 2 ** Math.min(this.busy, 10)) : this.pollIntervalMs;
    }
    this.busy = 0;
    if (!this.nudgedDuringStep) this.owed = false;
    return result.more ? 0 : this.pollIntervalMs;
  }
}
