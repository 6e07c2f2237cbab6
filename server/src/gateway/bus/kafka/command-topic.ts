import { hostname } from 'node:os';
import { backOff } from 'exponential-backoff';
import {
  Kafka,
  logLevel,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { quietKafkaIdlePolling } from 'node-red-contrib-loopgate/dist/lib/kafka-idle-polling';
import { OperationalError } from '../../../common/errors';
import { CONSOLE_LOGGER, type EngineLogger } from '../../engine/ports';
import type { BusCommand, CommandHandler } from '../command-bus';
import { BatchProgress, runByKey } from './batch-progress';
import type { KafkaConnection } from './connection';
import { commandPartitioner } from './partitioner';

export interface KafkaBusOptions {
  /** `host:port` of one or more brokers. */
  brokers: string[];
  /** TLS and SASL for the brokers (kafkaConnection from the configuration); plaintext without. */
  connection?: KafkaConnection;
  topic?: string;
  /** Every gateway worker of one plant joins the same group; each owns some partitions. */
  groupId?: string;
  clientId?: string;
  /** Partitions of a topic the bus creates; an existing topic is never changed (that would move keys). */
  partitions?: number;
  /** Replicas of a topic the bus creates; defaults to min(3, brokers in the cluster). */
  replicationFactor?: number;
  /** How long a silent worker keeps its partitions (the broker's floor is 6 s). */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How long a rebalance waits for a worker to finish its in-flight commands. */
  rebalanceTimeoutMs?: number;
  /** Ordering keys in flight at once per worker. */
  concurrency?: number;
  /** How long `publish` keeps trying while no broker answers (a broker restart) before it fails. */
  publishTimeoutMs?: number;
  logger?: EngineLogger;
}

export const DEFAULT_COMMAND_TOPIC = 'loopgate.writeback.commands';
export const DEFAULT_GROUP_ID = 'loopgate-gateway';

/** What a record on the command topic carries; the key is the ordering key. */
interface CommandRecord extends BusCommand {
  publishedAt: string;
}

interface Pending {
  command: BusCommand;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The command topic on Apache Kafka, which the gateway's Kafka bus relays its outbox to and
 * consumes from. `publish` produces to one topic keyed by the ordering key (Java-compatible
 * murmur2 partitioning, idempotent producer, acks from all in-sync replicas). Workers in one
 * consumer group each own partitions; inside a partition, records with the same key run one
 * after another and different keys in parallel. An offset is committed only past records whose
 * handler resolved (terminal state stored), so a record in flight when a worker dies or loses its
 * partition is read again by the next owner, and the handler's stored state plus
 * read-before-retry keep that second delivery harmless. A batch finishes its running records
 * before the worker rejoins a rebalance, so two workers never run the same key at once (while a
 * record finishes within `rebalanceTimeoutMs`). The price of that: a record that runs long (a
 * paused target, long retries) holds back this worker's next fetch until it ends; the command's
 * time-to-live bounds the wait.
 *
 * @example
 * const topic = new KafkaCommandTopic({ brokers: ['127.0.0.1:19092'] });
 * await topic.start((command) => engine.handle(command));
 * await topic.publish({ commandId, orderingKey, targetInstance });
 */
export class KafkaCommandTopic {
  readonly topic: string;
  private readonly kafka: Kafka;
  private readonly options: Required<
    Omit<KafkaBusOptions, 'replicationFactor' | 'logger' | 'clientId' | 'connection'>
  > & {
    replicationFactor?: number;
  };
  private readonly logger: EngineLogger;
  private producer?: Producer;
  private producerReady?: Promise<Producer>;
  private topicReady?: Promise<void>;
  private consumer?: Consumer;
  private handler?: CommandHandler;
  private stopping = false;
  private closed = false;
  private readonly queue: Pending[] = [];
  private flushing = false;
  private restartTimer?: ReturnType<typeof setTimeout>;
  /** Per partition: the offset waiting to be committed and the commit in flight. */
  private readonly commits = new Map<string, { wanted?: string; running?: Promise<void> }>();

  constructor(options: KafkaBusOptions) {
    if (options.brokers.length === 0) throw new Error('KafkaCommandTopic needs at least one broker');
    this.options = {
      brokers: options.brokers,
      topic: options.topic ?? DEFAULT_COMMAND_TOPIC,
      groupId: options.groupId ?? DEFAULT_GROUP_ID,
      partitions: options.partitions ?? 12,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
      concurrency: options.concurrency ?? 256,
      publishTimeoutMs: options.publishTimeoutMs ?? 60_000,
      ...(options.replicationFactor !== undefined ? { replicationFactor: options.replicationFactor } : {}),
    };
    this.topic = this.options.topic;
    this.logger = options.logger ?? CONSOLE_LOGGER;
    // The kafkajs this module loads (the palette's copy may be another).
    quietKafkaIdlePolling(__filename);
    this.kafka = new Kafka({
      clientId: options.clientId ?? `loopgate-${hostname()}-${process.pid}`,
      brokers: options.brokers,
      ...options.connection,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.log(entry),
      retry: { initialRetryTime: 100, maxRetryTime: 5_000, retries: 8 },
    });
  }

  /**
   * Resolves once the broker has the record on all in-sync replicas. Publishes of the same tick
   * go out in one produce request, in call order; one request is in flight at a time, so the
   * order of calls is the order in each partition.
   */
  publish(command: BusCommand): Promise<void> {
    if (this.closed) return Promise.reject(new OperationalError('BUS_STOPPED', 'command bus is stopped'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ command, resolve, reject });
      if (!this.flushing) setImmediate(() => void this.flush());
    });
  }

  async start(handler: CommandHandler): Promise<void> {
    this.stopping = false;
    this.closed = false;
    this.handler = handler;
    // A topic another gateway has just created is not yet known to every broker
    // (UNKNOWN_TOPIC_OR_PARTITION for a few seconds): a start retries such errors instead of failing.
    await backOff(
      async () => {
        await this.ensureTopic();
        await this.startConsumer();
      },
      {
        numOfAttempts: 8,
        startingDelay: 250,
        maxDelay: 5_000,
        jitter: 'full',
        retry: async (error: unknown, attempt: number) => {
          if (this.stopping || !retriableAtStart(error)) return false;
          this.logger.warn(`Kafka not ready at start (${(error as Error).message}); attempt ${attempt + 1} of 8`);
          const consumer = this.consumer;
          this.consumer = undefined;
          await consumer?.disconnect().catch(() => undefined);
          return true;
        },
      },
    );
  }

  /**
   * Stops taking records, lets running handlers finish, commits, leaves the group. Publishes still
   * go out, but a failing one is no longer retried.
   */
  async stopConsuming(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
    this.handler = undefined;
  }

  /** Stops consuming, waits for the publishes in progress, closes the producer. */
  async stop(): Promise<void> {
    await this.stopConsuming();
    while (this.flushing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const producer = this.producer;
    this.producer = undefined;
    this.producerReady = undefined;
    if (producer) await producer.disconnect();
    this.closed = true;
  }

  /** Creates the command topic when it does not exist yet. */
  ensureTopic(): Promise<void> {
    this.topicReady ??= this.createTopic().catch((error: unknown) => {
      this.topicReady = undefined;
      throw error;
    });
    return this.topicReady;
  }

  private async createTopic(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = await admin.fetchTopicMetadata({ topics: [] });
      const found = existing.topics.find((t) => t.name === this.topic);
      if (found) {
        if (found.partitions.length < this.options.partitions) {
          this.logger.warn(
            `topic ${this.topic} has ${found.partitions.length} partitions (fewer than ${this.options.partitions}); left unchanged so keys keep their partition`,
          );
        }
        return;
      }
      const replicationFactor =
        this.options.replicationFactor ?? Math.min(3, (await admin.describeCluster()).brokers.length);
      await admin.createTopics({
        topics: [{ topic: this.topic, numPartitions: this.options.partitions, replicationFactor }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
  }

  private connectProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      await this.ensureTopic();
      // Idempotent: a retried produce request is written once; one request in flight keeps the order.
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: commandPartitioner,
      });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.producerReady = undefined;
      throw error;
    });
    return this.producerReady;
  }

  private async resetProducer(producer: Producer): Promise<void> {
    if (this.producer !== producer) return;
    this.producer = undefined;
    this.producerReady = undefined;
    await producer
      .disconnect()
      .catch((error: unknown) => this.logger.warn(`disconnecting a failed producer: ${(error as Error).message}`));
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, 500);
        const publishedAt = new Date().toISOString();
        const messages = batch.map(({ command }) => ({
          key: command.orderingKey,
          value: JSON.stringify({
            commandId: command.commandId,
            orderingKey: command.orderingKey,
            targetInstance: command.targetInstance,
            publishedAt,
          } satisfies CommandRecord),
        }));
        const deadline = Date.now() + this.options.publishTimeoutMs;
        try {
          // Later batches wait behind this one, so a retry never reorders a key. A retry after an
          // unknown outcome may write a batch twice; the handler skips a command already terminal.
          await backOff(
            async () => {
              const producer = await this.connectProducer();
              try {
                await producer.send({ topic: this.topic, acks: -1, messages });
              } catch (error) {
                // kafkajs gives a producer up after its own retries (broker gone): start a fresh one.
                if ((error as Error).name === 'KafkaJSNonRetriableError') await this.resetProducer(producer);
                throw error;
              }
            },
            {
              numOfAttempts: Number.MAX_SAFE_INTEGER,
              startingDelay: 200,
              maxDelay: 2_000,
              retry: (error: unknown) => {
                if (Date.now() >= deadline || this.stopping || this.closed) return false;
                this.logger.warn(
                  `publishing ${batch.length} command(s) to ${this.topic} failed, retrying: ${(error as Error).message}`,
                );
                return true;
              },
            },
          );
          for (const pending of batch) pending.resolve();
        } catch (error) {
          const failure = new OperationalError(
            'BUS_PUBLISH_FAILED',
            'command not published to Kafka',
            { topic: this.topic, reason: (error as Error).message },
            { cause: error },
          );
          for (const pending of batch) pending.reject(failure);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      maxWaitTimeInMs: 250,
      retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 10 },
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (this.stopping || event.payload.restart) return;
      // kafkajs gives up on errors it deems fatal; a gateway worker keeps trying.
      this.logger.error(`Kafka consumer stopped (${event.payload.error.message}); restarting in 2 s`);
      this.restartTimer = setTimeout(() => void this.restartConsumer(consumer), 2_000);
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitions,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async restartConsumer(crashed: Consumer): Promise<void> {
    if (this.stopping || this.consumer !== crashed) return;
    await crashed
      .disconnect()
      .catch((error: unknown) => this.logger.warn(`disconnecting the crashed consumer: ${(error as Error).message}`));
    try {
      await this.startConsumer();
    } catch (error) {
      this.logger.error(`Kafka consumer restart failed (${(error as Error).message}); trying again in 2 s`);
      this.restartTimer = setTimeout(() => void this.restartConsumer(this.consumer ?? crashed), 2_000);
    }
  }

  /**
   * One partition's batch: keys in parallel, each key in order. Returns only when every record it
   * started has finished, so kafkajs rejoins a rebalance only after this worker let go of its keys.
   */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const records = batch.messages.map((message) => ({
      message,
      key: message.key?.toString('utf8') ?? '',
      offset: message.offset,
    }));
    const progress = new BatchProgress(records.map((r) => r.offset));
    const commit = (next: string) => this.commit(payload, batch.topic, batch.partition, next);
    let rebalancing = false;
    const heartbeat = setInterval(
      () => {
        payload.heartbeat().catch((error: unknown) => {
          if (!isRebalance(error)) {
            this.logger.warn(`heartbeat failed: ${(error as Error).message}`);
            return;
          }
          rebalancing = true;
          this.logger.warn(
            `group rebalancing: ${batch.topic}/${batch.partition} finishes its running commands and lets go`,
          );
        });
      },
      Math.max(500, Math.floor(this.options.heartbeatIntervalMs / 2)),
    );
    const keepGoing = () => !this.stopping && !rebalancing && payload.isRunning() && !payload.isStale();
    try {
      await runByKey(records, (record) => this.deliver(record.message, keepGoing), {
        concurrency: this.options.concurrency,
        shouldContinue: keepGoing,
        onHandled: (record) => {
          const next = progress.done(record.offset);
          if (next === undefined) return;
          payload.resolveOffset(progress.lastHandled() as string);
          commit(next);
        },
      });
    } finally {
      clearInterval(heartbeat);
      // The next fetch need not wait for the commit; a stopping worker commits before it leaves.
      if (!keepGoing()) await this.commitsSettled(batch.topic, batch.partition);
    }
  }

  /**
   * Commits `next` for the partition: one commit in flight per partition, in order; a commit that
   * finds a newer offset waiting sends that one next (older ones are covered by it).
   */
  private commit(payload: EachBatchPayload, topic: string, partition: number, next: string): void {
    const key = `${topic}/${partition}`;
    const state = this.commits.get(key) ?? {};
    state.wanted = next;
    this.commits.set(key, state);
    state.running ??= (async () => {
      while (state.wanted !== undefined) {
        const offset = state.wanted;
        state.wanted = undefined;
        await payload
          .commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] })
          .catch((error: unknown) =>
            this.logger.warn(`offset ${offset} of ${key} not committed: ${(error as Error).message}`),
          );
      }
      state.running = undefined;
    })();
  }

  /** Resolves once every offset commit started so far has been answered by the broker. */
  async commitsIdle(): Promise<void> {
    for (const key of this.commits.keys()) await this.commitsSettledAt(key);
  }

  private commitsSettled(topic: string, partition: number): Promise<void> {
    return this.commitsSettledAt(`${topic}/${partition}`);
  }

  private async commitsSettledAt(key: string): Promise<void> {
    const state = this.commits.get(key);
    while (state?.running) await state.running;
  }

  /** Calls the handler until it resolves; gives up (the record stays uncommitted) only when told to stop. */
  private async deliver(message: KafkaMessage, keepGoing: () => boolean): Promise<boolean> {
    const command = this.parse(message);
    if (!command) return true;
    const handler = this.handler;
    if (!handler) return false;
    try {
      // A handler fails only when the gateway cannot store an outcome (database down): try again later.
      await backOff(() => handler(command), {
        numOfAttempts: Number.MAX_SAFE_INTEGER,
        startingDelay: 200,
        maxDelay: 30_000,
        jitter: 'full',
        retry: (error: unknown) => {
          if (!keepGoing()) return false;
          this.logger.error(`delivery of ${command.commandId} failed, retrying: ${(error as Error).message}`);
          return true;
        },
      });
      return true;
    } catch (error) {
      if (keepGoing()) this.logger.error(`delivery of ${command.commandId} stopped: ${(error as Error).message}`);
      return false;
    }
  }

  /** A record that is not a command (another producer's mistake) is logged and skipped, not retried forever. */
  private parse(message: KafkaMessage): BusCommand | undefined {
    const record = parseJson(message.value?.toString('utf8')) as Partial<CommandRecord> | undefined;
    if (
      typeof record?.commandId === 'string' &&
      typeof record.orderingKey === 'string' &&
      typeof record.targetInstance === 'string'
    ) {
      return { commandId: record.commandId, orderingKey: record.orderingKey, targetInstance: record.targetInstance };
    }
    this.logger.warn(`skipping a record at offset ${message.offset} of ${this.topic} that is not a command`);
    return undefined;
  }

  private log(entry: LogEntry): void {
    // Retries are bounded on purpose (publish fails after publishTimeoutMs); the EoS gap it warns of is covered by the handler's dedup.
    if (entry.log.message.startsWith('Limiting retries for the idempotent producer')) return;
    const text = `kafka ${entry.namespace}: ${entry.log.message}`;
    if (entry.level === logLevel.ERROR) this.logger.error(text);
    else if (entry.level === logLevel.WARN) this.logger.warn(text);
  }
}

/** The group coordinator asks members to rejoin (or no longer knows this one). */
function isRebalance(error: unknown): boolean {
  const type = (error as { type?: string }).type;
  return (
    type === 'REBALANCE_IN_PROGRESS' ||
    type === 'ILLEGAL_GENERATION' ||
    type === 'UNKNOWN_MEMBER_ID' ||
    type === 'NOT_COORDINATOR_FOR_GROUP'
  );
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** KafkaJS errors a starting gateway waits out: a protocol error KafkaJS marks retriable (a topic's metadata still spreading, a leader election). */
function retriableAtStart(error: unknown): boolean {
  const e = error as { retriable?: unknown; name?: unknown; type?: unknown; cause?: unknown };
  if (e?.retriable === true) return true;
  if (e?.type === 'UNKNOWN_TOPIC_OR_PARTITION' || e?.type === 'LEADER_NOT_AVAILABLE') return true;
  return e?.cause !== undefined && e.cause !== error ? retriableAtStart(e.cause) : false;
}
