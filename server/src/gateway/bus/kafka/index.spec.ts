import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../config/config';
import { MemoryGatewayStore } from '../../testing/memory-store';
import { kafkaBusFromConfig } from './index';

const quiet = { warn: () => undefined, error: () => undefined };
const store = new MemoryGatewayStore();

describe('kafkaBusFromConfig', () => {
  it('builds a Kafka bus from LOOPGATE_KAFKA_BROKERS', () => {
    const bus = kafkaBusFromConfig({ kafkaBrokers: 'kafka-1:9092, kafka-2:9092' }, store, quiet);
    expect(bus.name).toBe('kafka');
    expect(bus.sharedAcrossProcesses).toBe(true);
    expect(bus.topic).toBe('loopgate.writeback.commands');
  });

  it('takes the topic from LOOPGATE_KAFKA_TOPIC', () => {
    expect(kafkaBusFromConfig({ kafkaBrokers: 'k:9092', kafkaTopic: 'plant-7.commands' }, store, quiet).topic).toBe(
      'plant-7.commands',
    );
  });

  it('refuses to start without brokers, naming the variable', () => {
    expect(() => kafkaBusFromConfig({}, store, quiet)).toThrow(ConfigError);
    expect(() => kafkaBusFromConfig({ kafkaBrokers: ' , ' }, store, quiet)).toThrow(/LOOPGATE_KAFKA_BROKERS/);
  });

  it('refuses a broker that is not host:port', () => {
    expect(() => kafkaBusFromConfig({ kafkaBrokers: 'kafka://broker' }, store, quiet)).toThrow(/not host:port/);
  });
});
