import { ConfigError, type LoopgateConfig } from '../../../config/config';
import type { EngineLogger, GatewayStore } from '../../engine/ports';
import { kafkaConnection, type KafkaConnectionSettings } from './connection';
import { KafkaCommandBus } from './kafka-bus';

export { DEFAULT_COMMAND_TOPIC, DEFAULT_GROUP_ID, KafkaCommandTopic, type KafkaBusOptions } from './command-topic';
export { KafkaCommandBus, type KafkaCommandBusOptions } from './kafka-bus';
export { kafkaConnection, type KafkaConnection, type KafkaConnectionSettings } from './connection';
export { partitionForKey } from './partitioner';

/**
 * The Kafka command bus (relaying `store`'s outbox) as configured by `LOOPGATE_BUS=kafka`, `LOOPGATE_KAFKA_BROKERS`
 * (comma-separated `host:port`) and optionally `LOOPGATE_KAFKA_TOPIC`, `LOOPGATE_KAFKA_GROUP_ID`,
 * `LOOPGATE_KAFKA_SESSION_TIMEOUT_MS`, and TLS / SASL (`LOOPGATE_KAFKA_SSL`, `LOOPGATE_KAFKA_CA_FILE`,
 * `LOOPGATE_KAFKA_SASL_MECHANISM`, `LOOPGATE_KAFKA_SASL_USERNAME`, `LOOPGATE_KAFKA_SASL_PASSWORD`).
 *
 * @example LOOPGATE_BUS=kafka LOOPGATE_KAFKA_BROKERS=kafka-1:9092,kafka-2:9092 npm start
 */
export function kafkaBusFromConfig(
  config: Pick<LoopgateConfig, 'kafkaBrokers' | 'kafkaTopic' | 'kafkaGroupId' | 'kafkaSessionTimeoutMs'> &
    Partial<KafkaConnectionSettings>,
  store: Pick<GatewayStore, 'relayOutbox'>,
  logger: EngineLogger,
): KafkaCommandBus {
  const brokers = (config.kafkaBrokers ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0)
    throw new ConfigError(['LOOPGATE_KAFKA_BROKERS: set the Kafka brokers (host:port,...) when LOOPGATE_BUS=kafka']);
  const invalid = brokers.filter((b) => !/^[^\s:/]+:\d{1,5}$/.test(b));
  if (invalid.length) throw new ConfigError([`LOOPGATE_KAFKA_BROKERS: "${invalid.join(', ')}" is not host:port`]);
  return new KafkaCommandBus(store, {
    brokers,
    connection: kafkaConnection(config),
    logger,
    ...(config.kafkaTopic ? { topic: config.kafkaTopic } : {}),
    ...(config.kafkaGroupId ? { groupId: config.kafkaGroupId } : {}),
    ...(config.kafkaSessionTimeoutMs
      ? {
          sessionTimeoutMs: config.kafkaSessionTimeoutMs,
          heartbeatIntervalMs: Math.floor(config.kafkaSessionTimeoutMs / 10),
        }
      : {}),
  });
}
