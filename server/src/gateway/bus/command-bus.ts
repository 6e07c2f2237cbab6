/**
 * Carries accepted commands from the API to the dispatch workers. Two implementations:
 * the durable outbox in the database (default) and Apache Kafka (scaled out).
 *
 * Guarantees every implementation keeps:
 * - commands with the same `orderingKey` reach the handler strictly in publish order, one in flight;
 * - different keys may run in parallel;
 * - a command is delivered again after a crash until the handler has resolved for it
 *   (the handler stores the terminal state before resolving, so redelivery is safe);
 * - `publish` resolves only once the command is durable.
 */
export interface CommandBus {
  readonly name: 'outbox' | 'kafka';
  publish(command: BusCommand): Promise<void>;
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
