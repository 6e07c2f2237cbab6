import * as fs from 'node:fs';
import type { KafkaConfig } from 'kafkajs';
import { ConfigError, type LoopgateConfig } from '../../../config/config';

export type KafkaConnectionSettings = Pick<
  LoopgateConfig,
  'kafkaSsl' | 'kafkaCaFile' | 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword'
>;

/** The TLS and SASL part of a kafkajs client configuration. */
export type KafkaConnection = Pick<KafkaConfig, 'ssl' | 'sasl'>;

/**
 * TLS and SASL for the bus's Kafka client from `LOOPGATE_KAFKA_SSL`, `LOOPGATE_KAFKA_CA_FILE`
 * (implies TLS) and `LOOPGATE_KAFKA_SASL_MECHANISM` / `_USERNAME` / `_PASSWORD`.
 *
 * @example kafkaConnection({ kafkaCaFile: '/etc/loopgate/kafka-ca.pem', kafkaSaslMechanism: 'scram-sha-512', kafkaSaslUsername: 'gw', kafkaSaslPassword: '…' })
 */
export function kafkaConnection(config: Partial<KafkaConnectionSettings>): KafkaConnection {
  const connection: KafkaConnection = {};
  if (config.kafkaCaFile) {
    let ca: string;
    try {
      ca = fs.readFileSync(config.kafkaCaFile, 'utf8');
    } catch (error) {
      throw new ConfigError([`LOOPGATE_KAFKA_CA_FILE: cannot read ${config.kafkaCaFile}: ${(error as Error).message}`]);
    }
    connection.ssl = { ca: [ca] };
  } else if (config.kafkaSsl) {
    connection.ssl = true;
  }
  if (config.kafkaSaslMechanism) {
    if (!config.kafkaSaslUsername || !config.kafkaSaslPassword)
      throw new ConfigError([
        'LOOPGATE_KAFKA_SASL_MECHANISM: needs LOOPGATE_KAFKA_SASL_USERNAME and LOOPGATE_KAFKA_SASL_PASSWORD',
      ]);
    connection.sasl = {
      mechanism: config.kafkaSaslMechanism,
      username: config.kafkaSaslUsername,
      password: config.kafkaSaslPassword,
    } as KafkaConfig['sasl'];
  }
  return connection;
}
