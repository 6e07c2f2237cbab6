/**
 * A Kafka broker restart in the middle of a burst: a private broker (its own services dir and
 * ports, so the shared one is not disturbed) is stopped and started again while commands are
 * published and consumed. Producers and consumers recover; nothing is lost, per-key order holds.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaCommandTopic } from '../../server/src/gateway/bus/kafka';
import { freePorts } from '../support/ports';
import { ensureServices, servicesScript } from '../support/services';
import {
  awaitStableGroup,
  busOptions,
  command,
  DeliveryRecorder,
  startWorkers,
  uniqueNames,
  until,
} from './support/bus-fixtures';

let env: Record<string, string>;
let brokers: string[];
const open: KafkaCommandTopic[] = [];

beforeAll(async () => {
  // A private broker beside the shared one: its own folder and free ports for all three listeners.
  const [port, controller, sasl] = await freePorts(3);
  env = {
    LOOPGATE_KAFKA_PORT: String(port),
    LOOPGATE_KAFKA_CONTROLLER_PORT: String(controller),
    LOOPGATE_KAFKA_SASL_PORT: String(sasl),
    LOOPGATE_KAFKA_HEAP: '-Xms128m -Xmx512m',
    LOOPGATE_SERVICES_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-kafka-restart-')),
  };
  ({ brokers } = (await ensureServices(['kafka'], env)).kafka);
});

afterAll(async () => {
  await Promise.allSettled(open.splice(0).map((bus) => bus.stop()));
  await servicesScript(['down', 'kafka'], env).catch(() => undefined);
  fs.rmSync(env.LOOPGATE_SERVICES_DIR, { recursive: true, force: true });
});

describe('Kafka broker restart during a burst', () => {
  it('loses nothing: every publish resolves, every command is applied, in order per key', async () => {
    expect(brokers).toEqual([`127.0.0.1:${env.LOOPGATE_KAFKA_PORT}`]);
    const names = uniqueNames('restart');
    const recorder = new DeliveryRecorder(() => Math.floor(Math.random() * 3));
    open.push(...(await startWorkers(2, busOptions(brokers, names), recorder)));
    await awaitStableGroup(brokers, names.groupId, 2);
    const publisher = new KafkaCommandTopic(busOptions(brokers, names, { clientId: 'publisher' }));
    open.push(publisher);

    const keyList = Array.from({ length: 20 }, (_, i) => `aveva-1|equipment-attribute|Line${i}.Oven|Setpoint`);
    const expected = new Map<string, string[]>(keyList.map((k) => [k, []]));
    const failures: string[] = [];
    let published = 0;
    const total = 1_000;
    // ~200 commands/s for ~5 s, one publish per key per tick, the restart in the middle.
    const producing = (async () => {
      const publishes: Promise<void>[] = [];
      for (let i = 0; i < total / keyList.length; i++) {
        for (const key of keyList) {
          const c = command(key, i);
          expected.get(key)?.push(c.commandId);
          publishes.push(
            publisher.publish(c).then(
              () => void (published += 1),
              (error: unknown) =>
                void failures.push(
                  `${c.commandId}: ${(error as Error).message} ${JSON.stringify((error as { context?: unknown }).context)} ${String((error as Error).cause)}`,
                ),
            ),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await Promise.all(publishes);
    })();

    await until(
      () => recorder.applied.size >= 150,
      30_000,
      () => `${recorder.applied.size} applied before the restart`,
    );
    const appliedBeforeStop = recorder.applied.size;
    await servicesScript(['down', 'kafka'], env);
    const appliedWhileDown = recorder.applied.size;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await servicesScript(['up', 'kafka'], env);

    await producing;
    expect(failures).toEqual([]);
    expect(published).toBe(total);
    await until(
      () => recorder.applied.size === total,
      90_000,
      () => `${recorder.applied.size}/${total} applied after the restart`,
    );
    for (const key of keyList) expect(recorder.appliedByKey.get(key)).toEqual(expected.get(key));
    expect(recorder.overlaps).toEqual([]);
    // The restart really happened mid-burst.
    expect(appliedBeforeStop).toBeLessThan(total);
    expect(appliedWhileDown).toBeLessThan(total);
  });
});
