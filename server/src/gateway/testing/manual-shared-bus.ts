import type { BusCommand, CommandBus, CommandHandler } from '../bus/command-bus';
import type { OutboxAdd } from '../engine/ports';

/**
 * A command bus shared by several engines (gateway processes) for engine tests, delivering only
 * when the test says so: `deliver` hands a command to this engine's handler, as a Kafka worker
 * would after a rebalance or a redelivery. Outbox rows stay in the store, as Kafka's relay would
 * leave them until published.
 */
export class ManualSharedBus implements CommandBus {
  readonly name = 'kafka' as const;
  readonly sharedAcrossProcesses = true;
  private handler?: CommandHandler;

  outboxRow(command: BusCommand): OutboxAdd {
    return { kind: 'outbox-add', command };
  }

  async start(handler: CommandHandler): Promise<void> {
    this.handler = handler;
  }

  async stop(): Promise<void> {
    this.handler = undefined;
  }

  /** Resolves when the engine's handler resolves (the command terminal, stored). */
  deliver(command: BusCommand): Promise<void> {
    if (!this.handler) return Promise.reject(new Error('bus not started'));
    return this.handler(command);
  }
}
