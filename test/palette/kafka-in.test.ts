import { createRequire } from 'node:module';
/**
 * loopgate-kafka-in against a real Kafka broker (scripts/services.sh): inferences consumed,
 * normalised by ai-score, and offsets committed only once the flow acknowledged them.
 */
import helper from 'node-red-node-test-helper';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import aiScoreNode from '../../nodes/src/ai-score/ai-score';
import kafkaInNode from '../../nodes/src/loopgate-kafka-in/loopgate-kafka-in';
import { eventually, Inbox, statusLog } from '../../nodes/src/testing/flow';
import { ensureServices, type KafkaSaslSslEndpoint } from '../support/services';

let brokers: string[];
let sasl: KafkaSaslSslEndpoint | undefined;
let admin: Admin;
let kafka: Kafka;

beforeAll(async () => {
  ({ brokers, saslSsl: sasl } = (await ensureServices(['kafka'])).kafka);
  kafka = new Kafka({ clientId: 'loopgate-palette-test', brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

afterEach(() => helper.unload());

async function topicWith(values: unknown[]): Promise<string> {
  const topic = `loopgate-palette-${Date.now()}-${Math.round(Math.random() * 1e6)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((v) => ({ key: 'CNC_Cell_01', value: JSON.stringify(v) })) });
  await producer.disconnect();
  return topic;
}

async function committed(groupId: string, topic: string): Promise<string | undefined> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return entry?.partitions[0]?.offset;
}

const inference = (id: string) => ({ inferenceId: id, modelId: 'tool-wear', modelVersion: '3', score: 0.71 });

/** kafka-in → ai-score → out; with `ack`, ai-score's valid output also goes back to kafka-in. */
async function load(topic: string, groupId: string, ack: boolean) {
  await helper.load(
    [kafkaInNode, aiScoreNode],
    [
      {
        id: 'k',
        type: 'loopgate-kafka-in',
        brokers: brokers.join(','),
        topic,
        groupId,
        fromBeginning: true,
        commit: 'ack',
        ackTimeout: 3,
        wires: [['ai']],
      },
      { id: 'ai', type: 'ai-score', wires: [ack ? ['out', 'k'] : ['out'], ['bad']] },
      { id: 'out', type: 'helper' },
      { id: 'bad', type: 'helper' },
    ],
  );
  return new Inbox(helper.getNode('out'));
}

describe('loopgate-kafka-in with a real broker', () => {
  it('delivers inferences in order and commits each offset once the flow acknowledged it', async () => {
    const topic = await topicWith([inference('k-1'), inference('k-2')]);
    const groupId = `${topic}-group`;
    const out = await load(topic, groupId, true);
    const first = await out.next(60_000);
    const second = await out.next(30_000);
    expect([first, second].map((m) => (m.inference as { inferenceId: string }).inferenceId)).toEqual(['k-1', 'k-2']);
    expect(first.inference).toMatchObject({ source: 'kafka', modelId: 'tool-wear' });
    const deadline = Date.now() + 15_000;
    while ((await committed(groupId, topic)) !== '2' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(await committed(groupId, topic)).toBe('2');
  });

  it('delivers an unacknowledged message again to the next consumer of the group', async () => {
    const topic = await topicWith([inference('k-unacked')]);
    const groupId = `${topic}-group`;
    const firstRun = await load(topic, groupId, false);
    expect(((await firstRun.next(60_000)).inference as { inferenceId: string }).inferenceId).toBe('k-unacked');
    await helper.unload();
    expect(['-1', undefined]).toContain(await committed(groupId, topic));

    const secondRun = await load(topic, groupId, true);
    expect(((await secondRun.next(60_000)).inference as { inferenceId: string }).inferenceId).toBe('k-unacked');
  });
});

describe("loopgate-kafka-in over SASL_SSL (SCRAM-SHA-512, the broker's self-signed certificate)", () => {
  // The core tls-config node holds the CA file; the SASL user is the node's credentials.
  const tlsNode = () => {
    const core = createRequire(require.resolve('@node-red/nodes/package.json'));
    return core('./core/network/05-tls.js') as unknown;
  };

  async function loadSecure(topic: string, password: string) {
    if (!sasl) throw new Error('scripts/services.sh env describes no SASL_SSL listener');
    await helper.load(
      [kafkaInNode, aiScoreNode, tlsNode()],
      [
        { id: 'tls', type: 'tls-config', ca: sasl.caFile, verifyservercert: true },
        {
          id: 'k',
          type: 'loopgate-kafka-in',
          brokers: sasl.brokers.join(','),
          topic,
          groupId: `${topic}-group`,
          fromBeginning: true,
          commit: 'send',
          usetls: true,
          tls: 'tls',
          saslMechanism: sasl.mechanism,
          wires: [['ai']],
        },
        { id: 'ai', type: 'ai-score', wires: [['out'], ['bad']] },
        { id: 'out', type: 'helper' },
        { id: 'bad', type: 'helper' },
      ],
      { k: { username: sasl.username, password } },
    );
    return { out: new Inbox(helper.getNode('out')), status: statusLog(helper.getNode('k')) };
  }

  it('consumes inferences through the authenticated, encrypted listener and commits them', async () => {
    const topic = await topicWith([inference('s-1')]);
    const { out } = await loadSecure(topic, sasl!.password);
    expect(((await out.next(60_000)).inference as { inferenceId: string }).inferenceId).toBe('s-1');
    const deadline = Date.now() + 15_000;
    while ((await committed(`${topic}-group`, topic)) !== '1' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(await committed(`${topic}-group`, topic)).toBe('1');
  });

  it('shows a refused SASL sign-in in its status, not an outage', async () => {
    const topic = await topicWith([inference('s-2')]);
    const { status } = await loadSecure(topic, 'not-the-password');
    await eventually(
      () => status.some((s) => s.text?.startsWith('SASL sign-in refused')),
      'the refused sign-in in the status',
      30_000,
    );
  });
});
