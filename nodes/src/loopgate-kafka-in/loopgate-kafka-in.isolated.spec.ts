import { createRequire } from 'node:module';
import helper from 'node-red-node-test-helper';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually, Inbox, statusLog } from '../testing/flow';
import kafkaInNode, { decodeValue, kafkaSecurity, parseKafkaInConfig } from './loopgate-kafka-in';

type EachMessage = (payload: unknown) => Promise<void>;

const kafka = vi.hoisted(() => {
  class FakeConsumer {
    readonly events = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' };
    readonly commits: { topic: string; partition: number; offset: string }[][] = [];
    eachMessage?: EachMessage;
    runOptions?: { autoCommit: boolean };
    disconnected = false;
    constructor(
      readonly options: { groupId: string },
      private readonly failConnect: boolean,
    ) {}
    on(): void {}
    async connect(): Promise<void> {
      if (this.failConnect) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:19399');
    }
    async subscribe(): Promise<void> {}
    async run(options: { autoCommit: boolean; eachMessage: EachMessage }): Promise<void> {
      this.runOptions = options;
      this.eachMessage = options.eachMessage;
    }
    async commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void> {
      this.commits.push(offsets);
    }
    async disconnect(): Promise<void> {
      this.disconnected = true;
    }
  }
  return {
    consumers: [] as FakeConsumer[],
    clients: [] as Record<string, unknown>[],
    failConnect: false,
    FakeConsumer,
  };
});

vi.mock('kafkajs', () => ({
  logLevel: { NOTHING: 0 },
  Kafka: class {
    constructor(options: Record<string, unknown>) {
      kafka.clients.push(options);
    }
    consumer(options: { groupId: string }) {
      const consumer = new kafka.FakeConsumer(options, kafka.failConnect);
      kafka.consumers.push(consumer);
      return consumer;
    }
  },
}));

function record(offset: string, value: string) {
  return {
    topic: 'ai.tool-wear',
    partition: 2,
    message: {
      offset,
      value: Buffer.from(value),
      key: Buffer.from('CNC_Cell_01'),
      timestamp: '1767261600000',
      headers: { source: Buffer.from('edge-7') },
    },
    heartbeat: async () => undefined,
  };
}

const config = { brokers: '127.0.0.1:19399', topic: 'ai.tool-wear', groupId: 'loopgate-test' };

describe('parseKafkaInConfig', () => {
  it.each([
    [{ ...config, brokers: '' }, 'no brokers'],
    [{ ...config, brokers: 'kafka' }, 'broker must be host:port, got kafka'],
    [{ ...config, topic: 'bad topic' }, 'invalid topic name bad topic'],
    [{ ...config, groupId: '' }, 'no consumer group'],
    [{ ...config, ackTimeout: '0' }, 'ack timeout must be 1..600 s, got 0'],
  ])('rejects %j', (def, problem) => {
    expect(parseKafkaInConfig(def)).toEqual({ problem });
  });

  it('accepts several brokers', () => {
    expect(parseKafkaInConfig({ ...config, brokers: 'a:9092, b:9092' })).toMatchObject({
      config: { brokers: ['a:9092', 'b:9092'], commit: 'ack' },
    });
  });
});

describe('parseKafkaInConfig: TLS and SASL', () => {
  const user = { username: 'edge-7', password: 's3cret' };

  it.each([
    [{ ...config, saslMechanism: 'gssapi' }, user, 'unknown SASL mechanism gssapi'],
    [{ ...config, saslMechanism: 'scram-sha-512' }, {}, 'SASL needs a user name and password'],
    [{ ...config, saslMechanism: 'scram-sha-512' }, { username: 'edge-7' }, 'SASL needs a user name and password'],
    [{ ...config, saslMechanism: 'plain' }, user, 'SASL PLAIN sends the password in clear text: use TLS'],
  ])('rejects %j with credentials %j', (def, credentials, problem) => {
    expect(parseKafkaInConfig(def, credentials)).toEqual({ problem });
  });

  it('takes the SASL user from the credentials and the TLS configuration only when TLS is on', () => {
    expect(
      parseKafkaInConfig({ ...config, usetls: true, tls: 'tls-1', saslMechanism: 'scram-sha-512' }, user),
    ).toMatchObject({ config: { tls: true, tlsConfigId: 'tls-1', sasl: { mechanism: 'scram-sha-512', ...user } } });
    const plain = parseKafkaInConfig({ ...config, usetls: false, tls: 'tls-1' });
    expect(plain).toMatchObject({ config: { tls: false } });
    expect('config' in plain && plain.config.tlsConfigId).toBeFalsy();
  });

  it("builds kafkajs's ssl from the tls-config node, or the system CAs without one", () => {
    const tlsConfig = { addTLSOptions: (o: object) => ({ ...o, ca: 'PEM', rejectUnauthorized: true }) };
    expect(kafkaSecurity({ tls: true }, tlsConfig)).toEqual({ ssl: { ca: 'PEM', rejectUnauthorized: true } });
    expect(kafkaSecurity({ tls: true })).toEqual({ ssl: true });
    expect(kafkaSecurity({ tls: false })).toEqual({});
    const sasl = { mechanism: 'scram-sha-256' as const, username: 'u', password: 'p' };
    expect(kafkaSecurity({ tls: false, sasl })).toEqual({ sasl });
  });
});

describe('decodeValue', () => {
  it('parses JSON objects and keeps other text as text', () => {
    expect(decodeValue(Buffer.from('{"score":0.5}'))).toEqual({ score: 0.5 });
    expect(decodeValue(Buffer.from('{broken'))).toBe('{broken');
    expect(decodeValue(Buffer.from('0.5'))).toBe('0.5');
    expect(decodeValue(null)).toBeNull();
  });
});

describe('loopgate-kafka-in node', () => {
  beforeEach(() => {
    kafka.consumers.length = 0;
    kafka.clients.length = 0;
    kafka.failConnect = false;
  });
  afterEach(() => helper.unload());

  async function load(node: Record<string, unknown> = {}) {
    await helper.load(kafkaInNode, [
      { id: 'k', type: 'loopgate-kafka-in', ...config, ...node, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ]);
    const k = helper.getNode('k');
    await eventually(() => kafka.consumers[0]?.eachMessage !== undefined || kafka.failConnect, 'the consumer to run');
    return { k, status: statusLog(k), out: new Inbox(helper.getNode('out')), consumer: kafka.consumers[0] };
  }

  it("quiets kafkajs's polling of idle broker connections when Node-RED loads it", async () => {
    // A fresh copy of kafkajs's request queue, as a Node-RED without the gateway would load it.
    const fromHere = createRequire(__filename);
    const requestQueue = 'kafkajs/src/network/requestQueue/index.js';
    delete fromHere.cache[fromHere.resolve(requestQueue)];
    await load();
    const { prototype } = fromHere(requestQueue) as { prototype: Record<symbol, unknown> };
    expect(prototype[Symbol.for('loopgate.kafkajs.idle-polling-quieted')]).toBe(true);
  });

  it('commits an offset only after the message comes back acknowledged', async () => {
    const { k, out, consumer } = await load();
    expect(consumer.runOptions?.autoCommit).toBe(false);
    let settled = false;
    const handled = consumer.eachMessage!(record('41', '{"inferenceId":"k-41","score":0.9}')).finally(
      () => (settled = true),
    );
    const msg = await out.next();
    expect(msg).toMatchObject({
      topic: 'ai.tool-wear',
      payload: { inferenceId: 'k-41', score: 0.9 },
      kafka: { topic: 'ai.tool-wear', partition: 2, offset: '41', key: 'CNC_Cell_01', headers: { source: 'edge-7' } },
    });
    // Sent and waiting for its acknowledgement: the handler is still open and nothing is committed.
    expect(settled).toBe(false);
    expect(consumer.commits).toHaveLength(0);
    k.receive(msg);
    await handled;
    expect(consumer.commits).toEqual([[{ topic: 'ai.tool-wear', partition: 2, offset: '42' }]]);
  });

  it('does not commit a message nobody acknowledged, so Kafka delivers it again', async () => {
    const { out, consumer, status } = await load({ ackTimeout: '0.1' });
    const handled = consumer.eachMessage!(record('7', '{"score":0.1}'));
    await out.next();
    await expect(handled).rejects.toThrow('not acknowledged within 0.1 s');
    expect(consumer.commits).toHaveLength(0);
    await eventually(() => status.at(-1)?.text === 'unacknowledged @7, redelivering', 'the redelivery status');
  });

  it('commits once sent on in send mode', async () => {
    const { consumer } = await load({ commit: 'send' });
    await consumer.eachMessage!(record('3', 'plain text'));
    expect(consumer.commits).toEqual([[{ topic: 'ai.tool-wear', partition: 2, offset: '4' }]]);
  });

  it('shows unreachable brokers in its status instead of crashing', async () => {
    kafka.failConnect = true;
    const { status } = await load();
    await eventually(() => status.some((s) => s.text === 'brokers unreachable, retry in 5 s'), 'unreachable status');
  });

  it('disconnects on close and leaves an unacknowledged message uncommitted', async () => {
    const { out, consumer } = await load();
    const handled = consumer.eachMessage!(record('9', '{}'));
    await out.next();
    await helper.unload();
    await expect(handled).rejects.toThrow('before the node closed');
    expect(consumer.disconnected).toBe(true);
    expect(consumer.commits).toHaveLength(0);
  });

  it('connects with the SASL user from its credentials over TLS', async () => {
    await helper.load(
      kafkaInNode,
      [{ id: 'k', type: 'loopgate-kafka-in', ...config, usetls: true, saslMechanism: 'scram-sha-512', wires: [[]] }],
      { k: { username: 'edge-7', password: 's3cret' } },
    );
    await eventually(() => kafka.consumers[0]?.eachMessage !== undefined, 'the consumer to run');
    expect(kafka.clients[0]).toMatchObject({
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'edge-7', password: 's3cret' },
    });
  });

  it('never connects when its TLS configuration node is missing', async () => {
    await helper.load(kafkaInNode, [{ id: 'k', type: 'loopgate-kafka-in', ...config, usetls: true, tls: 'gone' }]);
    expect(statusLog(helper.getNode('k'))[0]).toEqual({
      fill: 'red',
      shape: 'ring',
      text: 'TLS configuration missing',
    });
    expect(kafka.consumers).toHaveLength(0);
  });

  it('never connects with an invalid configuration', async () => {
    await helper.load(kafkaInNode, [{ id: 'k', type: 'loopgate-kafka-in', ...config, topic: '' }]);
    expect(statusLog(helper.getNode('k'))[0]).toEqual({ fill: 'red', shape: 'ring', text: 'no topic' });
    expect(kafka.consumers).toHaveLength(0);
  });
});
