/**
 * The MES event-log mirror on SQLite and PostgreSQL, against the FactoryTalk simulator's event log:
 * a restart resumes where the stored cursor says (nothing lost, nothing sent again), and on
 * PostgreSQL two gateways sharing the store feed one log between them, in audit order, one event
 * per record: the lease passes to the second when the first stops.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditPage, TargetList, WriteBackOutcome, WriteBackRequest } from '@loopgate/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_EVENT_LOG_OUTCOMES } from '../../server/src/config/config';
import type { MesEventMirrorOptions } from '../../server/src/gateway/services/mes-event-mirror.service';
import { createGatewayTestApp, type GatewayTestApp } from '../../server/src/gateway/testing/api-app';
import { factoryTalkTarget } from '../../server/src/targets/factorytalk';
import type { HttpSimulator, SimEvent } from '../../server/src/targets/sim-kit';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';

const SERVICE = 'token:line1';
const INSTANCE = 'ft-log';
const AUDIT_KEY = 'k'.repeat(40);
const simDefinition = factoryTalkTarget.simulator!;

let sim: HttpSimulator | undefined;
const apps: GatewayTestApp[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close().catch(() => undefined);
  await sim?.close();
  sim = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function gateway(
  settings: { databaseUrl?: string; dataDir: string },
  mirror: Partial<MesEventMirrorOptions> = {},
): Promise<GatewayTestApp> {
  const adapter = factoryTalkTarget.create(INSTANCE, factoryTalkTarget.parseConfig(simDefinition.connection(sim!)));
  return createGatewayTestApp([{ instance: INSTANCE, adapter }], {
    ...settings,
    auditKey: AUDIT_KEY,
    auditCheckpointRecords: 100_000,
    auditCheckpointSeconds: 3600,
    mirror: { intervalMs: 20, initialDelayMs: 20, maxDelayMs: 100, ...mirror },
  }).then((app) => {
    apps.push(app);
    return app;
  });
}

function request(i: number): WriteBackRequest {
  const write = simDefinition.sample.write(simDefinition.sample.value(i), 'unused');
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}` },
    target: { kind: 'factorytalk', instance: INSTANCE },
    object: write.object,
    action: write.action,
    ...(write.parameter ? { parameter: write.parameter } : {}),
    ...(write.value !== undefined ? { value: write.value } : {}),
    ...(write.details ? { details: write.details } : {}),
    reason: `event log ${i}`,
    notAfter: new Date(Date.now() + 60_000).toISOString(),
  };
}

async function applied(app: GatewayTestApp, i: number): Promise<void> {
  const response = await app.call('POST', '/writebacks', { as: SERVICE, body: request(i) });
  expect(response.status).toBe(202);
  const { commandId } = (await response.json()) as WriteBackOutcome;
  await vi.waitFor(
    async () => {
      const outcome = (await (await app.call('GET', `/writebacks/${commandId}`, { as: SERVICE })).json()) as {
        state: string;
      };
      expect(outcome.state).toBe('applied');
    },
    { timeout: 10_000, interval: 20 },
  );
}

async function expectedSequences(app: GatewayTestApp): Promise<number[]> {
  const page = (await (
    await app.call('GET', `/audit?target=${INSTANCE}&limit=500`, { as: 'ada:admin' })
  ).json()) as AuditPage;
  return page.records
    .filter((r) => (DEFAULT_EVENT_LOG_OUTCOMES as readonly string[]).includes(r.outcome))
    .map((r) => r.sequence)
    .sort((a, b) => a - b);
}

const logged = (): number[] =>
  sim!
    .eventLog()
    .filter((e: SimEvent) => e.type.startsWith('loopgate.writeback.'))
    .map((e) => e.data.sequence as number);

async function database(kind: 'sqlite' | 'postgres'): Promise<{ databaseUrl?: string; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-event-log-'));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  if (kind === 'sqlite') return { dataDir };
  const db: TestDatabase = await createTestDatabase('postgres', { name: 'event-log' });
  cleanups.push(() => db.cleanup());
  return { dataDir, databaseUrl: db.location };
}

describe.each(databaseKinds())('MES event-log mirror on %s', (kind) => {
  it('resumes after a restart where the store says: nothing lost, nothing sent again', async () => {
    sim = (await simDefinition.start({ port: 0 })) as HttpSimulator;
    const store = await database(kind);
    const first = await gateway(store);
    await applied(first, 0);
    await vi.waitFor(() => expect(logged()).toHaveLength(2), { timeout: 10_000 });
    // The log goes down; two more writes apply; the gateway stops with their four events unsent.
    sim.faults.set({ eventLogDown: true });
    await applied(first, 1);
    await applied(first, 2);
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(logged()).toHaveLength(2);
    sim.faults.set({ eventLogDown: false });

    const second = await gateway(store);
    const expected = await expectedSequences(second);
    expect(expected).toHaveLength(6);
    await vi.waitFor(() => expect(logged()).toEqual(expected), { timeout: 10_000 });
    expect(sim.eventResends()).toBe(0);
  });

  it.runIf(kind === 'postgres')(
    'two gateways on one store feed one log: one sender at a time, audit order, each event once; the lease passes on stop',
    async () => {
      sim = (await simDefinition.start({ port: 0 })) as HttpSimulator;
      const store = await database(kind);
      const a = await gateway(store, { owner: 'gateway-a', leaseMs: 10_000 });
      const b = await gateway(
        { ...store, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-event-log-b-')) },
        {
          owner: 'gateway-b',
          leaseMs: 10_000,
        },
      );
      for (let i = 0; i < 4; i++) await applied(i % 2 === 0 ? a : b, i);
      const expected = await expectedSequences(a);
      await vi.waitFor(() => expect(logged()).toEqual(expected), { timeout: 10_000 });
      expect(sim.eventResends()).toBe(0);
      const holder = await vi.waitFor(async () => {
        const list = (await (await a.call('GET', '/targets', { as: 'olivia:operator' })).json()) as TargetList;
        const by = list.targets[0].eventLog?.mirroredBy;
        expect(by).toMatch(/^gateway-[ab]$/);
        return by!;
      });

      // The holder stops (and gives its lease back); the other goes on with the next events.
      const [stopping, staying] = holder === 'gateway-a' ? [a, b] : [b, a];
      await stopping.close();
      apps.splice(apps.indexOf(stopping), 1);
      await applied(staying, 4);
      const all = await expectedSequences(staying);
      expect(all).toHaveLength(10);
      await vi.waitFor(() => expect(logged()).toEqual(all), { timeout: 10_000 });
      expect(sim.eventResends()).toBe(0);
    },
  );
});
