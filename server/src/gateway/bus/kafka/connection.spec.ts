import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/config';
import { kafkaConnection } from './connection';

const sharedBus = {
  LOOPGATE_BUS: 'kafka',
  LOOPGATE_DATABASE_URL: 'postgres://gw@db/loopgate',
  LOOPGATE_KAFKA_BROKERS: 'k:9093',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
}

describe('kafkaConnection', () => {
  it('is plaintext without TLS or SASL settings', () => {
    expect(kafkaConnection({})).toEqual({});
  });

  it('trusts the CA file for TLS, and signs in with the SASL user', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-kafka-ca-'));
    const caFile = path.join(dir, 'ca.pem');
    fs.writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = loadConfig({
      ...sharedBus,
      LOOPGATE_KAFKA_CA_FILE: caFile,
      LOOPGATE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      LOOPGATE_KAFKA_SASL_USERNAME: 'gateway',
      LOOPGATE_KAFKA_SASL_PASSWORD: 's3cret',
    });
    expect(kafkaConnection(config)).toEqual({
      ssl: { ca: [fs.readFileSync(caFile, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: 'gateway', password: 's3cret' },
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("uses the system's CAs with LOOPGATE_KAFKA_SSL alone", () => {
    expect(kafkaConnection(loadConfig({ ...sharedBus, LOOPGATE_KAFKA_SSL: 'true' }))).toEqual({ ssl: true });
  });

  it('reports a CA file it cannot read as a configuration error', () => {
    expect(() => kafkaConnection({ kafkaCaFile: '/nonexistent/ca.pem' })).toThrow(ConfigError);
  });
});

describe('Kafka connection settings in the configuration', () => {
  it('need the SASL user and password together with a mechanism', () => {
    expect(problems({ ...sharedBus, LOOPGATE_KAFKA_SASL_MECHANISM: 'scram-sha-256' })).toEqual([
      'LOOPGATE_KAFKA_SASL_MECHANISM: needs LOOPGATE_KAFKA_SASL_USERNAME and LOOPGATE_KAFKA_SASL_PASSWORD',
    ]);
    expect(problems({ ...sharedBus, LOOPGATE_KAFKA_SASL_USERNAME: 'gateway' })[0]).toMatch(
      /^LOOPGATE_KAFKA_SASL_USERNAME: set LOOPGATE_KAFKA_SASL_MECHANISM/,
    );
  });

  it('refuse SASL PLAIN without TLS, an unknown mechanism, and a missing CA file', () => {
    const plain = { LOOPGATE_KAFKA_SASL_USERNAME: 'gw', LOOPGATE_KAFKA_SASL_PASSWORD: 'pw' };
    expect(problems({ ...sharedBus, ...plain, LOOPGATE_KAFKA_SASL_MECHANISM: 'plain' })[0]).toMatch(
      /plain sends the password in clear text/,
    );
    expect(
      problems({ ...sharedBus, ...plain, LOOPGATE_KAFKA_SASL_MECHANISM: 'plain', LOOPGATE_KAFKA_SSL: 'true' }),
    ).toEqual([]);
    expect(problems({ ...sharedBus, ...plain, LOOPGATE_KAFKA_SASL_MECHANISM: 'gssapi' })[0]).toMatch(
      /^LOOPGATE_KAFKA_SASL_MECHANISM: /,
    );
    expect(problems({ ...sharedBus, LOOPGATE_KAFKA_CA_FILE: '/nonexistent/ca.pem' })).toEqual([
      'LOOPGATE_KAFKA_CA_FILE: /nonexistent/ca.pem does not exist',
    ]);
  });
});
