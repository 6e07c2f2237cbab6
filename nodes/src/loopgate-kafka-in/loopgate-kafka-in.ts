import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type Consumer, type EachMessagePayload, type SASLOptions } from 'kafkajs';
import { quietKafkaIdlePolling } from '../lib/kafka-idle-polling';
import type { Node, NodeAPI, NodeDef, NodeMessage } from '../lib/node-red';
import { isPlainObject } from '../lib/validation';

export const KAFKA_IN_NODE_TYPE = 'loopgate-kafka-in';
/** After the consumer fails for good (brokers down past kafkajs's own retries), start again after this. */
const RESTART_DELAY_MS = 5_000;

export interface KafkaInConfig {
  brokers: string[];
  clientId: string;
  topic: string;
  groupId: string;
  fromBeginning: boolean;
  /** `ack`: commit when the message comes back on the node's input; `send`: commit once sent on. */
  commit: 'ack' | 'send';
  ackTimeoutMs: number;
  /** Connect over TLS; the certificates come from the node's tls-config node, if it names one. */
  tls: boolean;
  tlsConfigId?: string;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** The SASL user, kept as Node-RED credentials (never in the flow file). */
export interface KafkaInCredentials {
  username?: string;
  password?: string;
}

/** The core tls-config node's method that adds its CA, certificate and key to TLS options. */
interface TlsConfigNode {
  addTLSOptions(options: ConnectionOptions): ConnectionOptions;
}

/** Validates the edit dialog's values and the node's credentials. */
export function parseKafkaInConfig(
  def: Record<string, unknown>,
  credentials: KafkaInCredentials = {},
): { config: KafkaInConfig } | { problem: string } {
  const brokers = String(def.brokers ?? '')
    .split(/[\s,]+/)
    .filter((b) => b !== '');
  if (brokers.length === 0) return { problem: 'no brokers' };
  const bad = brokers.find((b) => !/^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(b));
  if (bad) return { problem: `broker must be host:port, got ${bad}` };
  const topic = typeof def.topic === 'string' ? def.topic.trim() : '';
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic))
    return { problem: topic === '' ? 'no topic' : `invalid topic name ${topic}` };
  const groupId = typeof def.groupId === 'string' ? def.groupId.trim() : '';
  if (groupId === '') return { problem: 'no consumer group' };
  const ackSeconds = def.ackTimeout === undefined || def.ackTimeout === '' ? 30 : Number(def.ackTimeout);
  if (!Number.isFinite(ackSeconds) || ackSeconds <= 0 || ackSeconds > 600)
    return { problem: `ack timeout must be 1..600 s, got ${String(def.ackTimeout)}` };
  const tls = def.usetls === true;
  const tlsConfigId = tls && typeof def.tls === 'string' && def.tls !== '' ? def.tls : undefined;
  const mechanism = typeof def.saslMechanism === 'string' ? def.saslMechanism : '';
  let sasl: KafkaInConfig['sasl'];
  if (mechanism !== '') {
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism))
      return { problem: `unknown SASL mechanism ${mechanism}` };
    if (!credentials.username || !credentials.password) return { problem: 'SASL needs a user name and password' };
    if (mechanism === 'plain' && !tls) return { problem: 'SASL PLAIN sends the password in clear text: use TLS' };
    sasl = { mechanism: mechanism as SaslMechanism, username: credentials.username, password: credentials.password };
  }
  return {
    config: {
      brokers,
      clientId:
        typeof def.clientId === 'string' && def.clientId.trim() !== '' ? def.clientId.trim() : 'loopgate-node-red',
      topic,
      groupId,
      fromBeginning: def.fromBeginning === true,
      commit: def.commit === 'send' ? 'send' : 'ack',
      ackTimeoutMs: ackSeconds * 1000,
      tls,
      ...(tlsConfigId ? { tlsConfigId } : {}),
      ...(sasl ? { sasl } : {}),
    },
  };
}

/** kafkajs's `ssl` and `sasl` options: TLS with the tls-config node's certificates, if any. */
export function kafkaSecurity(
  config: Pick<KafkaInConfig, 'tls' | 'sasl'>,
  tlsConfig?: TlsConfigNode,
): { ssl?: ConnectionOptions | boolean; sasl?: SASLOptions } {
  return {
    ...(config.tls ? { ssl: tlsConfig ? tlsConfig.addTLSOptions({}) : true } : {}),
    ...(config.sasl ? { sasl: config.sasl as SASLOptions } : {}),
  };
}

/** What the status says when the consumer cannot start: a refused sign-in is not an outage. */
export function failureOf(error: Error): string {
  if (error.name === 'KafkaJSSASLAuthenticationError') return 'SASL sign-in refused';
  if (/certificate|SSL|TLS/i.test(error.message)) return 'TLS handshake failed';
  return 'brokers unreachable';
}

/** A Kafka record's value as a payload: JSON objects parsed, other text as text. */
export function decodeValue(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** `msg.kafka`: where the record came from; sending it back to the node's input acknowledges it. */
export interface KafkaRecordRef {
  topic: string;
  partition: number;
  offset: string;
  key?: string;
  timestamp: string;
  headers: Record<string, string>;
}

function refKey(ref: { topic: unknown; partition: unknown; offset: unknown }): string {
  return `${String(ref.topic)}/${String(ref.partition)}/${String(ref.offset)}`;
}

/**
 * Registers `loopgate-kafka-in`: a kafkajs consumer for plants that publish model results to
 * Kafka. Offsets are committed only after a message is handled: when it comes back on the
 * node's input (wire a Complete node or the end of the flow), or, in `send` mode, once sent.
 * An unacknowledged message is delivered again (at least once; write-backs are idempotent).
 */
export default function register(RED: NodeAPI): void {
  // Without it every idle broker connection of this node polls its queue a thousand times a second.
  quietKafkaIdlePolling();
  function KafkaInNode(this: Node<KafkaInCredentials>, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const parsed = parseKafkaInConfig(def, this.credentials);
    const tlsConfig =
      'config' in parsed && parsed.config.tlsConfigId
        ? (RED.nodes.getNode(parsed.config.tlsConfigId) as TlsConfigNode | null)
        : undefined;
    if ('config' in parsed && parsed.config.tlsConfigId && !tlsConfig) {
      this.status({ fill: 'red', shape: 'ring', text: 'TLS configuration missing' });
      this.on('input', (_msg, _send, done) => done());
      return;
    }
    if ('problem' in parsed) {
      this.status({ fill: 'red', shape: 'ring', text: parsed.problem });
      this.on('input', (_msg, _send, done) => done());
      return;
    }
    const { config } = parsed;
    // Deliveries waiting for their acknowledgement: settle(true) commits, settle(false) leaves it for redelivery.
    const pending = new Map<string, (acknowledged: boolean) => void>();
    let consumer: Consumer | undefined;
    let restartTimer: NodeJS.Timeout | undefined;
    let closed = false;

    const handle = async ({ topic, partition, message, heartbeat }: EachMessagePayload) => {
      const ref: KafkaRecordRef = {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8'),
        timestamp: message.timestamp,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [
            k,
            Buffer.isBuffer(v) ? v.toString('utf8') : String(v),
          ]),
        ),
      };
      const msg: NodeMessage = { topic, payload: decodeValue(message.value), kafka: ref };
      if (config.commit === 'ack') {
        const acked = new Promise<void>((resolve, reject) => {
          const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
          const timer = setTimeout(() => {
            clearInterval(beat);
            pending.delete(refKey(ref));
            reject(
              new Error(
                `${topic}/${partition}@${message.offset} not acknowledged within ${config.ackTimeoutMs / 1000} s; it will be delivered again`,
              ),
            );
          }, config.ackTimeoutMs);
          pending.set(refKey(ref), (acknowledged) => {
            clearTimeout(timer);
            clearInterval(beat);
            if (acknowledged) resolve();
            else
              reject(
                new Error(
                  `${topic}/${partition}@${message.offset} not acknowledged before the node closed; it will be delivered again`,
                ),
              );
          });
        });
        this.send(msg);
        try {
          await acked;
        } catch (err) {
          if (!closed) {
            this.status({ fill: 'yellow', shape: 'ring', text: `unacknowledged @${message.offset}, redelivering` });
            this.warn(`loopgate-kafka-in: ${(err as Error).message}`);
          }
          throw err;
        }
      } else {
        this.send(msg);
      }
      // The committed offset is the next one to read.
      await consumer?.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      this.status({ fill: 'green', shape: 'dot', text: `${topic} @${message.offset}` });
    };

    const start = async () => {
      if (closed) return;
      const kafka = new Kafka({
        clientId: config.clientId,
        brokers: config.brokers,
        ...kafkaSecurity(config, tlsConfig ?? undefined),
        logLevel: logLevel.NOTHING,
        retry: { retries: 5 },
      });
      const current = kafka.consumer({ groupId: config.groupId });
      consumer = current;
      current.on(current.events.CRASH, (event) => {
        const payload = event.payload as { error: Error; restart: boolean };
        this.status({ fill: 'red', shape: 'ring', text: `consumer crashed${payload.restart ? ', restarting' : ''}` });
        if (!payload.restart && !closed) scheduleRestart(payload.error);
      });
      current.on(current.events.GROUP_JOIN, () =>
        this.status({ fill: 'green', shape: 'ring', text: `joined ${config.groupId}` }),
      );
      this.status({ fill: 'yellow', shape: 'ring', text: 'connecting' });
      try {
        await current.connect();
        await current.subscribe({ topic: config.topic, fromBeginning: config.fromBeginning });
        await current.run({ autoCommit: false, eachMessage: handle });
      } catch (err) {
        scheduleRestart(err as Error);
      }
    };

    const scheduleRestart = (err: Error) => {
      if (closed) return;
      this.status({ fill: 'red', shape: 'ring', text: `${failureOf(err)}, retry in ${RESTART_DELAY_MS / 1000} s` });
      this.warn(`loopgate-kafka-in: ${err.message}`);
      const failed = consumer;
      consumer = undefined;
      void failed?.disconnect().catch(() => undefined);
      clearTimeout(restartTimer);
      restartTimer = setTimeout(() => void start(), RESTART_DELAY_MS);
    };

    this.on('input', (msg, _send, done) => {
      const ref = msg.kafka;
      const ack = isPlainObject(ref)
        ? pending.get(refKey(ref as { topic: unknown; partition: unknown; offset: unknown }))
        : undefined;
      if (ack) {
        pending.delete(refKey(ref as { topic: unknown; partition: unknown; offset: unknown }));
        ack(true);
      }
      done();
    });

    this.on('close', (_removed, done) => {
      closed = true;
      clearTimeout(restartTimer);
      for (const settle of pending.values()) settle(false);
      pending.clear();
      const current = consumer;
      consumer = undefined;
      if (!current) return done();
      current.disconnect().then(
        () => done(),
        () => done(),
      );
    });

    void start();
  }

  RED.nodes.registerType(KAFKA_IN_NODE_TYPE, KafkaInNode, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
}
