/**
 * The command topic under the Kafka command bus, against a real Kafka 3.9 broker: per-key order
 * across partitions with several workers in one group, Java-compatible placement, offsets
 * committed only past handled records, and a worker leaving mid-burst. (The outbox relay that
 * feeds it: kafka-outbox-relay.test.ts.)
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaCommandTopic, partitionForKey } from '../../server/src/gateway/bus/kafka';
import { ensureServices } from '../support/services';
import {
  awaitStableGroup,
  busOptions,
  command,
  DeliveryRecorder,
  startWorkers,
  uniqueNames,
  until,
} from './support/bus-fixtures';

let brokers: string[];
const open: KafkaCommandTopic[] = [];

beforeAll(async () => {
  ({ brokers } = (await ensureServices(['kafka'])).kafka);
});

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((bus) => bus.stop()));
});

function keys(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `opcenter-1|recipe-parameter|CNC-${String(i).padStart(2, '0')}/OP20|FeedRate`,
  );
}

async function publishBurst(
  publisher: KafkaCommandTopic,
  keyList: string[],
  perKey: number,
): Promise<Map<string, string[]>> {
  const expected = new Map<string, string[]>(keyList.map((k) => [k, []]));
  const publishes: Promise<void>[] = [];
  for (let i = 0; i < perKey; i++) {
    for (const key of keyList) {
      const c = command(key, i);
      expected.get(key)?.push(c.commandId);
      publishes.push(publisher.publish(c));
    }
  }
  await Promise.all(publishes);
  return expected;
}

describe('Kafka command topic', () => {
  it('delivers every key in publish order across 12 partitions, each command once, one worker per key', async () => {
    const names = uniqueNames('order');
    const recorder = new DeliveryRecorder(() => Math.floor(Math.random() * 3));
    open.push(...(await startWorkers(3, busOptions(brokers, names), recorder)));
    const owned = await awaitStableGroup(brokers, names.groupId, 3);
    const publisher = new KafkaCommandTopic(busOptions(brokers, names, { clientId: 'publisher' }));
    open.push(publisher);

    const keyList = keys(40);
    const expected = await publishBurst(publisher, keyList, 15);
    await until(
      () => recorder.applied.size === 600,
      60_000,
      () => `${recorder.applied.size}/600 applied`,
    );

    for (const key of keyList) expect(recorder.appliedByKey.get(key)).toEqual(expected.get(key));
    expect(recorder.overlaps).toEqual([]);
    expect(recorder.deliveries).toHaveLength(600);
    // The group spread the keys: every worker owns partitions and handled some of them.
    expect([...owned.values()].flat().sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(new Set(recorder.deliveries.map((d) => d.worker)).size).toBe(3);
    for (const key of keyList) expect(recorder.workersOf(key).size).toBe(1);
  });

  it('writes each key to the partition the Java client computes', async () => {
    const names = uniqueNames('placement');
    const publisher = new KafkaCommandTopic(busOptions(brokers, names, { clientId: 'publisher' }));
    open.push(publisher);
    const keyList = keys(24);
    await publishBurst(publisher, keyList, 2);

    const kafka = new Kafka({ clientId: 'placement-check', brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `${names.groupId}-check` });
    const seen: { key: string; partition: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: names.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => void seen.push({ key: String(message.key), partition }),
    });
    try {
      await until(
        () => seen.length === 48,
        30_000,
        () => `${seen.length}/48 read`,
      );
    } finally {
      await consumer.disconnect();
    }
    for (const { key, partition } of seen)
      expect({ key, partition }).toEqual({ key, partition: partitionForKey(key, 12) });
    expect(new Set(seen.map((s) => s.partition)).size).toBeGreaterThan(6);
  });

  it('commits a partition only up to its first command still running, even when later ones are done', async () => {
    const names = uniqueNames('commit');
    // Two keys on the same partition: the first one blocks, the second completes.
    const keyList = keys(200);
    const blockedKey = keyList[0];
    const partition = partitionForKey(blockedKey, 12);
    const otherKey = keyList.find((k) => k !== blockedKey && partitionForKey(k, 12) === partition) as string;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    const worker = new KafkaCommandTopic(busOptions(brokers, names, { clientId: 'worker' }));
    open.push(worker);
    await worker.start(async (c) => {
      if (c.orderingKey === blockedKey) await gate;
      handled.push(c.commandId);
    });
    await awaitStableGroup(brokers, names.groupId, 1);
    // One tick, one produce request: the three records arrive in one batch.
    await Promise.all([
      worker.publish(command(blockedKey, 0)),
      worker.publish(command(otherKey, 0)),
      worker.publish(command(otherKey, 1)),
    ]);

    const admin = new Kafka({ clientId: 'commit-check', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const committed = async () => {
      const [topic] = await admin.fetchOffsets({ groupId: names.groupId, topics: [names.topic] });
      return Number(topic.partitions.find((p) => p.partition === partition)?.offset ?? -1);
    };
    try {
      await until(
        () => handled.length === 2,
        20_000,
        () => `handled ${handled.join(',')}`,
      );
      // A commit for the two handled ones would have started when the second was handled: wait for
      // every commit started to be answered, then look.
      await worker.commitsIdle();
      expect(await committed()).toBeLessThanOrEqual(0);
      release();
      await until(
        () => handled.length === 3,
        20_000,
        () => `handled ${handled.join(',')}`,
      );
      let offset = -1;
      const deadline = Date.now() + 10_000;
      while ((offset = await committed()) !== 3 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(offset).toBe(3);
    } finally {
      release();
      await admin.disconnect();
    }
  });

  it('hands the keys of a worker that leaves mid-burst to the others, in order, never two at once', async () => {
    const names = uniqueNames('leave');
    const recorder = new DeliveryRecorder(() => 2 + Math.floor(Math.random() * 4));
    const workers = await startWorkers(2, busOptions(brokers, names), recorder);
    open.push(...workers);
    await awaitStableGroup(brokers, names.groupId, 2);
    const publisher = new KafkaCommandTopic(busOptions(brokers, names, { clientId: 'publisher' }));
    open.push(publisher);

    const keyList = keys(16);
    const burst = publishBurst(publisher, keyList, 25);
    await until(
      () => recorder.applied.size >= 100,
      60_000,
      () => `${recorder.applied.size} applied`,
    );
    await workers[1].stop();
    const expected = await burst;
    await until(
      () => recorder.applied.size === 400,
      60_000,
      () => `${recorder.applied.size}/400 applied`,
    );

    for (const key of keyList) expect(recorder.appliedByKey.get(key)).toEqual(expected.get(key));
    expect(recorder.overlaps).toEqual([]);
    // worker-1 handled commands before it left; worker-0 alone handled the rest.
    expect(recorder.deliveries.some((d) => d.worker === 'worker-1')).toBe(true);
    expect(recorder.deliveries.slice(-50).every((d) => d.worker === 'worker-0')).toBe(true);
  });

  it('lets a worker join mid-burst: the running keys finish before their partitions move, order holds', async () => {
    const names = uniqueNames('join');
    const recorder = new DeliveryRecorder(() => 5 + Math.floor(Math.random() * 10));
    const options = busOptions(brokers, names);
    open.push(...(await startWorkers(1, options, recorder)));
    await awaitStableGroup(brokers, names.groupId, 1);
    const publisher = new KafkaCommandTopic(busOptions(brokers, names, { clientId: 'publisher' }));
    open.push(publisher);

    // 40 waves of one command per key, 100 ms apart: a burst of about 4 s.
    const keyList = keys(24);
    const expected = new Map<string, string[]>(keyList.map((k) => [k, []]));
    const burst = (async () => {
      const publishes: Promise<void>[] = [];
      for (let wave = 0; wave < 40; wave++) {
        for (const key of keyList) {
          const c = command(key, wave);
          expected.get(key)?.push(c.commandId);
          publishes.push(publisher.publish(c));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await Promise.all(publishes);
    })();
    await until(
      () => recorder.applied.size >= 100,
      60_000,
      () => `${recorder.applied.size} applied`,
    );
    const late = new KafkaCommandTopic({ ...options, clientId: 'worker-late' });
    open.push(late);
    await late.start(recorder.handler('worker-late'));
    await burst;
    await until(
      () => recorder.applied.size === 960,
      90_000,
      () => `${recorder.applied.size}/960 applied`,
    );

    for (const key of keyList) expect(recorder.appliedByKey.get(key)).toEqual(expected.get(key));
    expect(recorder.overlaps).toEqual([]);
    expect(recorder.deliveries.some((d) => d.worker === 'worker-late')).toBe(true);
  });

  it('skips a record that is not a command and handles the ones after it', async () => {
    const names = uniqueNames('garbage');
    const handled: string[] = [];
    const worker = new KafkaCommandTopic(busOptions(brokers, names, { clientId: 'worker' }));
    open.push(worker);
    await worker.start(async (c) => void handled.push(c.commandId));
    await awaitStableGroup(brokers, names.groupId, 1);
    const key = keys(1)[0];
    const producer = new Kafka({ clientId: 'garbage', brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic: names.topic,
      messages: [
        { key, value: 'not json' },
        { key, value: '{"commandId":42}' },
      ],
    });
    await producer.disconnect();
    await worker.publish(command(key, 1));
    await until(
      () => handled.length === 1,
      20_000,
      () => `handled ${handled.join(',')}`,
    );
    expect(handled).toEqual([command(key, 1).commandId]);
  });

  it('refuses to publish once stopped', async () => {
    const names = uniqueNames('stopped');
    const bus = new KafkaCommandTopic(busOptions(brokers, names));
    await bus.start(async () => undefined);
    await bus.stop();
    await expect(bus.publish(command('k', 0))).rejects.toMatchObject({ code: 'BUS_STOPPED' });
  });
});
