/**
 * The Kafka command bus over the real broker's SASL_SSL listener (scripts/services.sh: SCRAM-SHA-512,
 * self-signed certificate), configured the way an operator does it: LOOPGATE_KAFKA_CA_FILE and
 * LOOPGATE_KAFKA_SASL_* through the gateway's own configuration loader.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/src/config/config';
import { kafkaConnection, KafkaCommandTopic } from '../../server/src/gateway/bus/kafka';
import { ensureServices, type KafkaSaslSslEndpoint } from '../support/services';
import { busOptions, command, DeliveryRecorder, uniqueNames, until } from './support/bus-fixtures';

let sasl: KafkaSaslSslEndpoint;
const open: KafkaCommandTopic[] = [];

beforeAll(async () => {
  const { kafka } = await ensureServices(['kafka']);
  if (!kafka.saslSsl) throw new Error('scripts/services.sh env describes no SASL_SSL listener');
  sasl = kafka.saslSsl;
});

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((bus) => bus.stop()));
});

/** The bus's TLS and SASL settings as the gateway reads them from its environment. */
function connectionFromEnv(overrides: Record<string, string> = {}) {
  const config = loadConfig({
    LOOPGATE_BUS: 'kafka',
    LOOPGATE_DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
    LOOPGATE_KAFKA_BROKERS: sasl.brokers.join(','),
    LOOPGATE_KAFKA_CA_FILE: sasl.caFile,
    LOOPGATE_KAFKA_SASL_MECHANISM: sasl.mechanism,
    LOOPGATE_KAFKA_SASL_USERNAME: sasl.username,
    LOOPGATE_KAFKA_SASL_PASSWORD: sasl.password,
    ...overrides,
  });
  return kafkaConnection(config);
}

async function adminConnects(connection: ReturnType<typeof kafkaConnection>): Promise<void> {
  const admin = new Kafka({
    clientId: 'loopgate-sasl-test',
    brokers: sasl.brokers,
    ...connection,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3_000,
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka command bus over SASL_SSL (SCRAM-SHA-512, TLS)', () => {
  it('publishes and delivers commands in key order through the authenticated, encrypted listener', async () => {
    const names = uniqueNames('sasl');
    const recorder = new DeliveryRecorder();
    const options = busOptions(sasl.brokers, names, { connection: connectionFromEnv() });
    const worker = new KafkaCommandTopic({ ...options, clientId: 'sasl-worker' });
    open.push(worker);
    await worker.start(recorder.handler('w1'));
    const publisher = new KafkaCommandTopic({ ...options, clientId: 'sasl-publisher' });
    open.push(publisher);
    const key = 'opcenter-1|recipe-parameter|CNC_Cell_01/OP20|FeedRate';
    const sent = [0, 1, 2].map((i) => command(key, i));
    await Promise.all(sent.map((c) => publisher.publish(c)));
    await until(
      () => recorder.applied.size === 3,
      60_000,
      () => `${recorder.applied.size}/3 delivered`,
    );
    expect(recorder.appliedByKey.get(key)).toEqual(sent.map((c) => c.commandId));
  });

  it('is refused by the broker with a wrong SCRAM password', async () => {
    await expect(
      adminConnects(connectionFromEnv({ LOOPGATE_KAFKA_SASL_PASSWORD: 'not-the-password' })),
    ).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/);
  });

  it('does not trust the broker without its CA file (the certificate is self-signed)', async () => {
    await expect(
      adminConnects(connectionFromEnv({ LOOPGATE_KAFKA_CA_FILE: '', LOOPGATE_KAFKA_SSL: 'true' })),
    ).rejects.toThrow(/self[- ]signed certificate/i);
  });
});
