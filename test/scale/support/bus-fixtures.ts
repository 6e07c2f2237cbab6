/** Shared pieces of the Kafka bus tests: unique topics, workers, and a recorder of deliveries. */
import { randomBytes } from 'node:crypto';
import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import type { BusCommand } from '../../../server/src/gateway/bus/command-bus';
import { KafkaCommandTopic, type KafkaBusOptions } from '../../../server/src/gateway/bus/kafka';

export const quiet = { warn: () => undefined, error: () => undefined };

/** A topic and a consumer group no other test uses. */
export function uniqueNames(prefix: string): { topic: string; groupId: string } {
  const id = `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;
  return { topic: `test.${id}`, groupId: `test-${id}` };
}

export function busOptions(
  brokers: string[],
  names: { topic: string; groupId: string },
  extra: Partial<KafkaBusOptions> = {},
): KafkaBusOptions {
  return {
    brokers,
    ...names,
    partitions: 12,
    replicationFactor: 1,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 20_000,
    logger: quiet,
    ...extra,
  };
}

export function command(key: string, i: number): BusCommand {
  return { commandId: `${key}#${String(i).padStart(5, '0')}`, orderingKey: key, targetInstance: 'sim' };
}

/**
 * Records what workers handle, with the same guarantee the gateway's store gives: a command
 * whose terminal state is stored is skipped when delivered again. Fails the test on two
 * handlers of one key at once.
 */
export class DeliveryRecorder {
  /** First completion of each command, per key, in order. */
  readonly appliedByKey = new Map<string, string[]>();
  readonly applied = new Set<string>();
  readonly deliveries: { worker: string; commandId: string }[] = [];
  readonly overlaps: string[] = [];
  private readonly running = new Map<string, string>();

  constructor(private readonly delayMs: () => number = () => 0) {}

  handler(worker: string): (command: BusCommand) => Promise<void> {
    return async (command) => {
      const holder = this.running.get(command.orderingKey);
      if (holder)
        this.overlaps.push(`${command.orderingKey}: ${worker} started ${command.commandId} while ${holder} ran`);
      this.running.set(command.orderingKey, `${worker}/${command.commandId}`);
      this.deliveries.push({ worker, commandId: command.commandId });
      try {
        if (this.applied.has(command.commandId)) return;
        const delay = this.delayMs();
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        this.applied.add(command.commandId);
        const list = this.appliedByKey.get(command.orderingKey) ?? [];
        list.push(command.commandId);
        this.appliedByKey.set(command.orderingKey, list);
      } finally {
        this.running.delete(command.orderingKey);
      }
    };
  }

  workersOf(key: string): Set<string> {
    return new Set(this.deliveries.filter((d) => d.commandId.startsWith(`${key}#`)).map((d) => d.worker));
  }
}

/** Waits until `done()` holds, polling; fails with `describe()` after `timeoutMs`. */
export async function until(done: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the group is stable with `members` members; returns each member's clientId and partitions. */
export async function awaitStableGroup(
  brokers: string[],
  groupId: string,
  members: number,
  timeoutMs = 60_000,
): Promise<Map<string, number[]>> {
  const admin = new Kafka({ clientId: 'test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let last = 'not described yet';
    while (Date.now() < deadline) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      last = `${group?.state}/${group?.members.length}`;
      if (group?.state === 'Stable' && group.members.length === members) {
        const owned = new Map<string, number[]>();
        for (const member of group.members) {
          const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
          owned.set(member.clientId, Object.values(assignment?.assignment ?? {}).flat());
        }
        if ([...owned.values()].every((partitions) => partitions.length > 0)) return owned;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`group ${groupId} is ${last}, expected Stable/${members}`);
  } finally {
    await admin.disconnect();
  }
}

export function startWorkers(
  count: number,
  options: KafkaBusOptions,
  recorder: DeliveryRecorder,
): Promise<KafkaCommandTopic[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const bus = new KafkaCommandTopic({ ...options, clientId: `worker-${i}` });
      await bus.start(recorder.handler(`worker-${i}`));
      return bus;
    }),
  );
}
