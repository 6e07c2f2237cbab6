/**
 * The Kafka bus's transactional outbox against real PostgreSQL and Kafka: two gateway stores on
 * one database (two processes) commit commands with their outbox rows; their relays take turns
 * publishing to one topic and their workers consume it in one group. One of them stops mid-burst:
 * the other relays what it left in the outbox, so every command reaches a worker, each key in
 * commit order, never two of a key at once.
 */
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaCommandBus } from '../../server/src/gateway/bus/kafka';
import { GATEWAY_ENTITIES } from '../../server/src/gateway/persistence/entities';
import { TypeOrmGatewayStore } from '../../server/src/gateway/persistence/gateway-store';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { ensureServices } from '../support/services';
import { awaitStableGroup, busOptions, command, DeliveryRecorder, uniqueNames, until } from './support/bus-fixtures';

let brokers: string[];
let db: TestDatabase;
const sources: DataSource[] = [];
const stores: TypeOrmGatewayStore[] = [];
const buses: KafkaCommandBus[] = [];

beforeAll(async () => {
  ({ brokers } = (await ensureServices(['postgres', 'kafka'])).kafka);
  db = await createTestDatabase('postgres', { name: 'relay' });
});

afterAll(async () => {
  await Promise.allSettled(buses.splice(0).map((bus) => bus.stop()));
  for (const store of stores.splice(0)) await store.close();
  for (const source of sources.splice(0)) if (source.isInitialized) await source.destroy();
  await db?.cleanup();
});

async function openStore(): Promise<TypeOrmGatewayStore> {
  const dataSource = await new DataSource({
    ...db.options,
    entities: GATEWAY_ENTITIES,
    migrationsRun: sources.length === 0,
  } as DataSourceOptions).initialize();
  sources.push(dataSource);
  const store = new TypeOrmGatewayStore(dataSource);
  stores.push(store);
  return store;
}

describe('Kafka bus outbox relay', () => {
  it('publishes what two processes committed, in commit order per key, and the survivor relays the rest', async () => {
    const names = uniqueNames('relay');
    const recorder = new DeliveryRecorder(() => Math.floor(Math.random() * 3));
    const processes: { store: TypeOrmGatewayStore; bus: KafkaCommandBus }[] = [];
    // One after the other: the first runs the migrations.
    for (const name of ['a', 'b']) {
      const store = await openStore();
      const bus = new KafkaCommandBus(store, {
        ...busOptions(brokers, names, { clientId: `relay-${name}` }),
        relay: { pollIntervalMs: 50 },
      });
      buses.push(bus);
      await bus.start(recorder.handler(name));
      processes.push({ store, bus });
    }
    await awaitStableGroup(brokers, names.groupId, 2);

    // Short keys: command ids (key#n) fit the audit record's 36 characters.
    const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`);
    const total = 480;
    let stopped = false;
    // Both processes accept commands, each commit holding the outbox row and the accepted audit record.
    // Once b has stopped, its commits stand for rows a process committed and died before relaying.
    const accept = async (i: number) => {
      const { store, bus } = processes[i % 2];
      const c = command(keys[i % keys.length], i);
      await store.commit([
        { kind: 'audit', entry: { outcome: 'accepted', actor: 'x', commandId: c.commandId, lineage: {} } },
        stopped && i % 2 === 1 ? { kind: 'outbox-add', command: c } : bus.outboxRow(c),
      ]);
    };
    const burst = (async () => {
      for (let i = 0; i < total; i += 8) {
        await Promise.all(Array.from({ length: 8 }, (_, j) => accept(i + j)));
        if (!stopped && i >= total / 3) {
          // Process b stops relaying and consuming.
          stopped = true;
          await processes[1].bus.stop();
        }
      }
    })();
    await burst;
    await until(
      () => recorder.applied.size === total,
      90_000,
      () => `${recorder.applied.size}/${total} delivered`,
    );

    const audited = (
      (await sources[0].query(`SELECT command_id FROM audit_records WHERE outcome = 'accepted' ORDER BY sequence`)) as {
        command_id: string;
      }[]
    ).map((r) => r.command_id);
    for (const key of keys) {
      expect(recorder.appliedByKey.get(key)).toEqual(audited.filter((id) => id.startsWith(`${key}#`)));
    }
    expect(recorder.overlaps).toEqual([]);
    expect(await processes[0].store.loadOutbox()).toEqual([]);
    // Both relays and both workers took part before b stopped; a alone after.
    expect(recorder.deliveries.some((d) => d.worker === 'b')).toBe(true);
    expect(recorder.deliveries.slice(-40).every((d) => d.worker === 'a')).toBe(true);
  });
});
