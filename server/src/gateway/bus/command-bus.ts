import type { OutboxAdd } from '../engine/ports';

/**
 * Carries accepted commands from the API to the dispatch workers. Two implementations:
 * the durable outbox in the database (default) and Apache Kafka (scaled out). Both start from the
 * transactional outbox: a command's outbox row commits in the same transaction as the command.
 *
 * Guarantees every implementation keeps:
 * - commands with the same `orderingKey` reach the handler strictly in the order their outbox rows
 *   committed, one in flight;
 * - different keys may run in parallel;
 * - a command is delivered again after a crash until the handler has resolved for it (the handler
 *   stores the terminal state before resolving, so redelivery is safe); a delivery may repeat a
 *   command already handled, never one ahead of an earlier command of its key.
 */
export interface CommandBus {
  readonly name: 'outbox' | 'kafka';
  /**
   * Whether other gateway processes dispatch from this bus too (a Kafka consumer group). Then a
   * command's stored row is the only truth: what one process remembers of it may be stale.
   */
  readonly sharedAcrossProcesses: boolean;
  /**
   * The outbox row that puts `command` on the bus. Commit it in the same transaction as the command,
   * so both are stored or neither; the bus takes it from there once committed.
   *
   * @example await store.commit([{ kind: 'command', command }, bus.outboxRow(busCommandOf(command))]);
   */
  outboxRow(command: BusCommand): OutboxAdd;
  /** Starts delivery. The handler resolves when the command is in a terminal state, stored. */
  start(handler: CommandHandler): Promise<void>;
  stop(): Promise<void>;
}

export interface BusCommand {
  commandId: string;
  /** target instance + object + parameter; see `orderingKeyOf`. */
  orderingKey: string;
  targetInstance: string;
}

export type CommandHandler = (command: BusCommand) => Promise<void>;

export const COMMAND_BUS = Symbol('COMMAND_BUS');

/** The ordering key of a write: same target instance, same object, same parameter. */
export function orderingKeyOf(
  targetInstance: string,
  objectType: string,
  objectId: string,
  parameter?: string,
): string {
  return [targetInstance, objectType, objectId, parameter ?? ''].join('|');
}
