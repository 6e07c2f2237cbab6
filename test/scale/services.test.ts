import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { ensureServices, servicesScript, type ServiceEndpoints } from '../support/services';

describe('scripts/services.sh', () => {
  let services: ServiceEndpoints;

  beforeAll(async () => {
    services = await ensureServices(['postgres', 'mosquitto', 'kafka']);
  });

  it('serves PostgreSQL on 127.0.0.1 with the loopgate role', async () => {
    // The port is whatever the script says (LOOPGATE_PG_PORT moves it); the tests ask, never assume.
    expect(services.postgres).toMatchObject({ host: '127.0.0.1', database: 'loopgate', user: 'loopgate' });
    expect(services.postgres.url).toContain(`@127.0.0.1:${services.postgres.port}/`);
    const source = await new DataSource({ type: 'postgres', url: services.postgres.url }).initialize();
    try {
      const [row] = (await source.query('SELECT current_user AS "user", inet_server_addr()::text AS addr')) as {
        user: string;
        addr: string;
      }[];
      expect(row).toEqual({ user: 'loopgate', addr: '127.0.0.1/32' });
    } finally {
      await source.destroy();
    }
  });

  it('serves an anonymous MQTT broker', async () => {
    const client = await mqtt.connectAsync(services.mosquitto.url, { reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      const received = new Promise<string>((resolve) =>
        client.on('message', (_topic, payload) => resolve(payload.toString())),
      );
      await client.subscribeAsync('loopgate/services-test', { qos: 1 });
      await client.publishAsync('loopgate/services-test', 'hello', { qos: 1 });
      expect(await received).toBe('hello');
    } finally {
      await client.endAsync();
    }
  });

  it("describes the Kafka broker's SASL_SSL listener: SCRAM user and the CA file of its certificate", () => {
    expect(services.kafka.saslSsl).toMatchObject({ mechanism: 'scram-sha-512', username: 'loopgate' });
    expect(services.kafka.saslSsl?.brokers).not.toEqual(services.kafka.brokers);
    expect(fs.readFileSync(services.kafka.saslSsl?.caFile ?? '', 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('serves a Kafka 3.9 broker that creates topics and round-trips a record', async () => {
    const kafka = new Kafka({ clientId: 'services-test', brokers: services.kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topic = `services-test-${Date.now()}`;
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'v' }] });
      await producer.disconnect();
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('leaves running services alone on a second `up`', async () => {
    const before = await servicesScript(['status']);
    const started = Date.now();
    await servicesScript(['up']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await servicesScript(['status'])).toBe(before);
  });

  it('reports a stopped service with a non-zero status in a services dir that has none', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-services-'));
    try {
      await expect(
        servicesScript(['status', 'mosquitto'], { LOOPGATE_SERVICES_DIR: dir, LOOPGATE_MQTT_PORT: '18601' }),
      ).rejects.toThrow(/failed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown service', async () => {
    await expect(servicesScript(['up', 'redis'])).rejects.toThrow(/unknown service 'redis'/);
  });

  describe('test databases', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('postgres', { name: 'services' });
    });
    afterAll(() => db.cleanup());

    it('are fresh PostgreSQL databases that cleanup drops', async () => {
      const source = await new DataSource({ type: 'postgres', url: db.location }).initialize();
      const tables = (await source.query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`,
      )) as { n: number }[];
      await source.destroy();
      expect(tables[0].n).toBe(0);
      await db.cleanup();
      const admin = await new DataSource({ type: 'postgres', url: services.postgres.url }).initialize();
      const found = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        new URL(db.location).pathname.slice(1),
      ])) as unknown[];
      await admin.destroy();
      expect(found).toHaveLength(0);
    });
  });
});
