import type { GatewayStore, OutboxAdd } from '../../engine/ports';
import type { BusCommand, CommandBus, CommandHandler } from '../command-bus';
import { OutboxRelay, type OutboxRelayOptions } from '../outbox-relay';
import { KafkaCommandTopic, type KafkaBusOptions } from './command-topic';

export interface KafkaCommandBusOptions extends KafkaBusOptions {
  relay?: Omit<OutboxRelayOptions, 'logger'>;
}

/**
 * The scaled-out command bus on Apache Kafka, behind a transactional outbox: a command's outbox
 * row commits with the command, and the outbox relay publishes the rows to the command topic in
 * sequence order (one relay step at a time across the gateway processes), removing them once the
 * broker acknowledged. Workers of every gateway process consume the topic in one consumer group
 * (see `KafkaCommandTopic`). A crash between commit and publish loses nothing and reorders
 * nothing: the next relay step publishes the stored rows, in order. Other processes dispatch from
 * this bus too, so it is `sharedAcrossProcesses`.
 *
 * @example
 * const bus = new KafkaCommandBus(store, { brokers: ['127.0.0.1:19092'] });
 * const engine = new WriteBackEngine({ store, bus, targets });
 * await engine.start();
 */
export class KafkaCommandBus implements CommandBus {
  readonly name = 'kafka' as const;
  readonly sharedAcrossProcesses = true;
  readonly topic: string;
  private readonly commands: KafkaCommandTopic;
  private readonly relay: OutboxRelay;

  constructor(store: Pick<GatewayStore, 'relayOutbox'>, options: KafkaCommandBusOptions) {
    const { relay, ...topicOptions } = options;
    // A relay step holds its database transaction while it publishes: it gives up sooner and tries again.
    this.commands = new KafkaCommandTopic({ publishTimeoutMs: 15_000, ...topicOptions });
    this.topic = this.commands.topic;
    this.relay = new OutboxRelay(
      store,
      (rows) => Promise.all(rows.map((row) => this.commands.publish(row))).then(() => undefined),
      { ...relay, ...(options.logger ? { logger: options.logger } : {}) },
    );
  }

  /** Committed, the row wakes this process's relay. */
  outboxRow(command: BusCommand): OutboxAdd {
    return { kind: 'outbox-add', command, onCommitted: () => this.relay.nudge() };
  }

  async start(handler: CommandHandler): Promise<void> {
    await this.commands.start(handler);
    this.relay.start();
  }

  /** Stops relaying (a step in progress completes, or leaves its rows) and consuming, then closes the producer. */
  async stop(): Promise<void> {
    await Promise.all([this.relay.stop(), this.commands.stopConsuming()]);
    await this.commands.stop();
  }
}
