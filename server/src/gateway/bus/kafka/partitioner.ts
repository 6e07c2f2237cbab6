import { Partitioners } from 'kafkajs';

/**
 * The partitioner the command bus produces with: kafkajs' DefaultPartitioner, which is the Java
 * client's `toPositive(murmur2(utf8(key))) % partitions`, so Kafka tools and Java services agree
 * on where an ordering key lives.
 */
export const commandPartitioner = Partitioners.DefaultPartitioner;

/**
 * The partition a keyed record lands in, as the Java client computes it.
 *
 * @example partitionForKey('opcenter-1|recipe-parameter|CNC-01/OP20|FeedRate', 12) // 0
 */
export function partitionForKey(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return commandPartitioner()({ topic: 'partition-for-key', partitionMetadata, message: { key, value: null } });
}
