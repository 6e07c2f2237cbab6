import { backOff } from 'exponential-backoff';
import type { GatewayStore, OutboxAdd } from '../engine/ports';
import { CONSOLE_LOGGER, type EngineLogger } from '../engine/ports';
import type { BusCommand, CommandBus, CommandHandler } from './command-bus';

export interface OutboxBusOptions {
  /** Ordering keys dispatched at the same time; each key has at most one command in flight. */
  concurrency?: number;
  logger?: EngineLogger;
}

/**
 * The default command bus: a durable outbox table in the gateway's database, dispatched by
 * in-process workers. Each ordering key is a FIFO with one command in flight; keys run in
 * parallel. After a crash, `start` reloads the outbox in publish order and delivers it again.
 * Only this process dispatches from it, so the engine may trust its own memory of commands.
 */
export class OutboxBus implements CommandBus {
  readonly name = 'outbox' as const;
  readonly sharedAcrossProcesses = false;
  private readonly queues = new Map<string, BusCommand[]>();
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly waitingKeys = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly removals = new Set<Promise<unknown>>();
  private readonly concurrency: number;
  private readonly logger: EngineLogger;
  private handler?: CommandHandler;
  private stopping = false;

  constructor(
    private readonly store: Pick<GatewayStore, 'commit' | 'loadOutbox' | 'loadActiveCommands'>,
    options: OutboxBusOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 1024;
    this.logger = options.logger ?? CONSOLE_LOGGER;
  }

  /** Committed, the row joins its key's queue in this process. */
  outboxRow(command: BusCommand): OutboxAdd {
    return { kind: 'outbox-add', command, onCommitted: () => this.push(command) };
  }

  async start(handler: CommandHandler): Promise<void> {
    this.stopping = false;
    this.handler = handler;
    const rows = await this.store.loadOutbox();
    // Queued commands the outbox does not hold (queued while another bus was configured) join it again.
    const held = new Set(rows.map((row) => row.commandId));
    for (const command of await this.store.loadActiveCommands()) {
      if ((command.state !== 'queued' && command.state !== 'dispatching') || held.has(command.id)) continue;
      const message = {
        commandId: command.id,
        orderingKey: command.orderingKey,
        targetInstance: command.target.instance,
      };
      await this.store.commit([{ kind: 'outbox-add', command: message }]);
      rows.push({ ...message, seq: Number.MAX_SAFE_INTEGER });
    }
    for (const row of rows) this.push(row);
    for (const key of this.queues.keys()) this.schedule(key);
  }

  /** Stops taking commands and waits for those in flight to settle. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inflight]);
    await Promise.allSettled([...this.removals]);
    this.handler = undefined;
  }

  /** Commands waiting or in flight, per target instance. */
  depthByTarget(): Map<string, number> {
    const depth = new Map<string, number>();
    for (const queue of this.queues.values()) {
      for (const command of queue) depth.set(command.targetInstance, (depth.get(command.targetInstance) ?? 0) + 1);
    }
    return depth;
  }

  private push(command: BusCommand): void {
    if (this.queued.has(command.commandId)) return;
    this.queued.add(command.commandId);
    const queue = this.queues.get(command.orderingKey);
    if (queue) queue.push(command);
    else this.queues.set(command.orderingKey, [command]);
    this.schedule(command.orderingKey);
  }

  private schedule(key: string): void {
    if (!this.handler || this.stopping || this.running.has(key)) return;
    const queue = this.queues.get(key);
    if (!queue || queue.length === 0) return;
    if (this.running.size >= this.concurrency) {
      this.waitingKeys.add(key);
      return;
    }
    this.running.add(key);
    const run = this.deliver(key, queue[0]).finally(() => this.inflight.delete(run));
    this.inflight.add(run);
  }

  private async deliver(key: string, command: BusCommand): Promise<void> {
    const handler = this.handler as CommandHandler;
    let delivered = false;
    try {
      // A handler fails only when the gateway cannot store an outcome (database down): try again later.
      await backOff(() => handler(command), {
        numOfAttempts: Number.MAX_SAFE_INTEGER,
        startingDelay: 200,
        maxDelay: 30_000,
        jitter: 'full',
        retry: (error: unknown) => {
          if (this.stopping) return false;
          this.logger.error(`delivery of ${command.commandId} failed, retrying: ${(error as Error).message}`);
          return true;
        },
      });
      delivered = true;
    } catch (error) {
      if (!this.stopping) this.logger.error(`delivery of ${command.commandId} stopped: ${(error as Error).message}`);
    } finally {
      this.running.delete(key);
    }
    if (!delivered) return;
    const queue = this.queues.get(key);
    queue?.shift();
    this.queued.delete(command.commandId);
    if (queue && queue.length === 0) this.queues.delete(key);
    // Removal may lag: a command delivered again after a crash is already terminal and is skipped.
    const removal = this.store
      .commit([{ kind: 'outbox-remove', commandId: command.commandId }])
      .catch((error: unknown) =>
        this.logger.warn(`outbox row of ${command.commandId} not removed yet: ${(error as Error).message}`),
      )
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
    this.schedule(key);
    for (const waiting of [...this.waitingKeys]) {
      if (this.running.size >= this.concurrency) break;
      this.waitingKeys.delete(waiting);
      this.schedule(waiting);
    }
  }
}
