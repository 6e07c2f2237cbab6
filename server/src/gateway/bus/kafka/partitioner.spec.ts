import { describe, expect, it } from 'vitest';
import { partitionForKey } from './partitioner';

// Computed with the Java client 3.9.1: Utils.murmur2 and BuiltInPartitioner.partitionForKey on UTF-8 bytes.
const JAVA_VECTORS: [key: string, murmur2: number, of12: number, of7: number][] = [
  ['21', -973932308, 0, 3],
  ['foobar', -790332482, 6, 0],
  ['a-little-bit-long-string', -985981536, 8, 1],
  ['a-little-bit-longer-string', -1486304829, 11, 0],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971, 5, 3],
  ['abc', 479470107, 3, 4],
  ['', 275646681, 9, 2],
  ['opcenter-1|recipe-parameter|CNC-01/OP20|FeedRate', -47601224, 0, 3],
  ['opcenter-1|recipe-parameter|CNC-02/OP10|SpindleSpeed', 1134578265, 9, 2],
  ['factorytalk-1|work-order|WO-4711|', 1727388753, 9, 6],
  ['aveva-1|equipment-attribute|Line2.Oven.Zone3|Setpoint', -41862055, 1, 5],
  ['cmms-1|maintenance-work-order|PUMP-7|', 731801925, 9, 1],
  ['opcua-1|equipment-attribute|ns=2;s=Müller/Temperatur|SP', -1292156459, 9, 3],
  ['key-0', 29210041, 1, 0],
  ['key-3', -1839136101, 11, 4],
  ['Δ-µ-日本', 1383101521, 1, 4],
];

describe('partitionForKey', () => {
  it.each(JAVA_VECTORS)('puts %j where the Java client does', (key, _murmur2, of12, of7) => {
    expect(partitionForKey(key, 12)).toBe(of12);
    expect(partitionForKey(key, 7)).toBe(of7);
  });

  it('is not the legacy kafkajs partitioner, which disagrees with Java', async () => {
    const { Partitioners } = await import('kafkajs');
    const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    const legacy = JAVA_VECTORS.map(([key]) =>
      Partitioners.LegacyPartitioner()({ topic: 't', partitionMetadata, message: { key, value: null } }),
    );
    expect(legacy).not.toEqual(JAVA_VECTORS.map(([, , of12]) => of12));
  });
});
