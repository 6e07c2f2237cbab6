import { randomUUID } from 'node:crypto';
import type {
  AuditPage,
  AuditRecord,
  TargetList,
  TargetStatus,
  WriteBackOutcome,
  WriteBackRequest,
} from '@loopgate/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_EVENT_LOG_OUTCOMES } from '../../config/config';
import type { TargetDefinition } from '../../targets/adapter';
import { TARGET_DEFINITIONS } from '../../targets/registry';
import type { HttpSimulator, SimEvent } from '../../targets/sim-kit';
import { createGatewayTestApp, type GatewayTestApp } from '../testing/api-app';
import { FakeTarget } from '../testing/fake-target';
import { MesEventMirror } from './mes-event-mirror.service';

const SERVICE = 'token:line1';
const AUDIT_KEY = 'k'.repeat(40);
/** Short timings: a round every 20 ms, a failed event tried again after 20 … 100 ms. */
const MIRROR = { intervalMs: 20, initialDelayMs: 20, maxDelayMs: 100 };

let gw: GatewayTestApp | undefined;
let sim: HttpSimulator | undefined;

afterEach(async () => {
  await gw?.close();
  await sim?.close();
  gw = sim = undefined;
});

const WITH_EVENT_LOG = TARGET_DEFINITIONS.filter((d) => d.description.capabilities.eventLog);

async function start(definition: TargetDefinition, settings: { auditCheckpointRecords?: number } = {}) {
  const simDefinition = definition.simulator!;
  sim = (await simDefinition.start({ port: 0 })) as HttpSimulator;
  const instance = `${definition.kind}-log`;
  const adapter = definition.create(instance, definition.parseConfig(simDefinition.connection(sim)));
  gw = await createGatewayTestApp([{ instance, adapter }], {
    mirror: MIRROR,
    auditKey: AUDIT_KEY,
    auditCheckpointRecords: settings.auditCheckpointRecords ?? 100_000,
    auditCheckpointSeconds: 3600,
  });
  return { instance, sample: simDefinition.sample, sim, gw };
}

/** The sample write of the target as a flow would request it. */
function request(definition: TargetDefinition, instance: string, i: number): WriteBackRequest {
  const sample = definition.simulator!.sample;
  const write = sample.write(sample.value(i), `unused-${i}`);
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}`, modelId: 'wear-v3' },
    target: { kind: definition.kind, instance },
    object: write.object,
    action: write.action,
    ...(write.parameter ? { parameter: write.parameter } : {}),
    ...(write.value !== undefined ? { value: write.value } : {}),
    ...(write.details ? { details: write.details } : {}),
    reason: `event log test ${i}`,
    notAfter: new Date(Date.now() + 60_000).toISOString(),
  };
}

async function submitApplied(app: GatewayTestApp, body: WriteBackRequest): Promise<WriteBackOutcome> {
  const response = await app.call('POST', '/writebacks', { as: SERVICE, body });
  expect(response.status).toBe(202);
  const { commandId } = (await response.json()) as WriteBackOutcome;
  return vi.waitFor(
    async () => {
      const outcome = (await (
        await app.call('GET', `/writebacks/${commandId}`, { as: SERVICE })
      ).json()) as WriteBackOutcome;
      if (outcome.state !== 'applied') throw new Error(`${commandId} is ${outcome.state}`);
      return outcome;
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** The target's audit records the event log must receive, oldest first. */
async function expectedRecords(app: GatewayTestApp, instance: string): Promise<AuditRecord[]> {
  const page = (await (
    await app.call('GET', `/audit?target=${instance}&limit=500`, { as: 'ada:admin' })
  ).json()) as AuditPage;
  return page.records
    .filter((r) => (DEFAULT_EVENT_LOG_OUTCOMES as readonly string[]).includes(r.outcome))
    .sort((a, b) => a.sequence - b.sequence);
}

const writeBackEvents = (events: SimEvent[]) => events.filter((e) => !e.type.startsWith('loopgate.audit.'));
const sequencesOf = (events: SimEvent[]) => writeBackEvents(events).map((e) => e.data.sequence);

async function eventLogStatus(app: GatewayTestApp, instance: string): Promise<TargetStatus['eventLog']> {
  const list = (await (await app.call('GET', '/targets', { as: 'olivia:operator' })).json()) as TargetList;
  return list.targets.find((t) => t.instance === instance)?.eventLog;
}

describe.each(WITH_EVENT_LOG.map((d) => [d.kind, d] as const))('MES event log: %s', (_kind, definition) => {
  it('receives one event per write-back outcome in audit order, each carrying its audit record', async () => {
    const { instance, sim, gw } = await start(definition);
    for (let i = 0; i < 3; i++) await submitApplied(gw, request(definition, instance, i));
    const records = await expectedRecords(gw, instance);
    expect(records.map((r) => r.outcome)).toEqual([
      'accepted',
      'applied',
      'accepted',
      'applied',
      'accepted',
      'applied',
    ]);

    await vi.waitFor(() => expect(sequencesOf(sim.eventLog())).toHaveLength(records.length), { timeout: 10_000 });
    const events = writeBackEvents(sim.eventLog());
    expect(events.map((e) => e.data.sequence)).toEqual(records.map((r) => r.sequence));
    for (const [i, event] of events.entries()) {
      expect(event.data).toMatchObject({
        hash: records[i].hash,
        outcome: records[i].outcome,
        commandId: records[i].commandId,
      });
      expect(JSON.stringify(event)).toContain(`loopgate.writeback.${records[i].outcome}`);
      expect(event.summary).toContain(records[i].outcome);
    }
    await vi.waitFor(async () => expect(await eventLogStatus(gw, instance)).toMatchObject({ pending: 0 }));
  });

  it('during an event-log outage writes still apply at once; the events follow, in order and once each, when it returns', async () => {
    const { instance, sim, gw } = await start(definition);
    await submitApplied(gw, request(definition, instance, 0));
    await vi.waitFor(() => expect(sequencesOf(sim.eventLog())).toHaveLength(2), { timeout: 10_000 });

    sim.faults.set({ eventLogDown: true });
    for (let i = 1; i < 4; i++) await submitApplied(gw, request(definition, instance, i));
    expect(sim.ledger().filter((e) => e.source === 'api')).toHaveLength(4);
    const down = await vi.waitFor(
      async () => {
        const status = await eventLogStatus(gw, instance);
        expect(status?.lastError?.code).toMatch(/^HTTP_503$/);
        return status;
      },
      { timeout: 10_000 },
    );
    expect(down).toMatchObject({ pending: 6 });
    expect(sequencesOf(sim.eventLog())).toHaveLength(2);

    sim.faults.set({ eventLogDown: false });
    const records = await expectedRecords(gw, instance);
    await vi.waitFor(() => expect(sequencesOf(sim.eventLog())).toHaveLength(records.length), { timeout: 10_000 });
    expect(sequencesOf(sim.eventLog())).toEqual(records.map((r) => r.sequence));
    await vi.waitFor(async () => {
      const status = await eventLogStatus(gw, instance);
      expect(status).toMatchObject({ pending: 0 });
      expect(status?.lastError).toBeUndefined();
    });
  });
});

describe('MES event log', () => {
  it('publishes every signed audit checkpoint to the event log, after the records it covers', async () => {
    const definition = WITH_EVENT_LOG.find((d) => d.kind === 'opcenter')!;
    const { instance, sim, gw } = await start(definition, { auditCheckpointRecords: 4 });
    for (let i = 0; i < 3; i++) await submitApplied(gw, request(definition, instance, i));
    const checkpoint = await vi.waitFor(
      () => {
        const found = sim.eventLog().find((e) => e.type === 'loopgate.audit.checkpoint');
        expect(found).toBeDefined();
        return found!;
      },
      { timeout: 10_000 },
    );
    expect(checkpoint.data).toMatchObject({
      algorithm: 'HMAC-SHA256',
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const covered = checkpoint.data.sequence as number;
    const before = sim.eventLog().filter((e) => e.sequence < checkpoint.sequence);
    // Every write-back record of this target the checkpoint covers was in the log before it.
    const records = (await expectedRecords(gw, instance)).filter((r) => r.sequence <= covered);
    expect(sequencesOf(before)).toEqual(expect.arrayContaining(records.map((r) => r.sequence)));
  });

  it('refuses to start when a target without an event log is told to mirror into one', async () => {
    await expect(
      createGatewayTestApp([
        { instance: 'fake-1', fake: new FakeTarget({ instance: 'fake-1' }), eventLog: { enabled: true } },
      ]),
    ).rejects.toThrow(/site\.targets\[0\]\.eventLog\.enabled: .* "fake-1" has no event log/);
  });

  it('mirrors nothing for a target whose event log is switched off', async () => {
    const definition = WITH_EVENT_LOG.find((d) => d.kind === 'opcenter')!;
    const simDefinition = definition.simulator!;
    sim = (await simDefinition.start({ port: 0 })) as HttpSimulator;
    const adapter = definition.create('opcenter-off', definition.parseConfig(simDefinition.connection(sim)));
    gw = await createGatewayTestApp([{ instance: 'opcenter-off', adapter, eventLog: { enabled: false } }], {
      mirror: MIRROR,
      auditKey: AUDIT_KEY,
    });
    await submitApplied(gw, request(definition, 'opcenter-off', 0));
    await gw.app.get(MesEventMirror).drain();
    expect(sim.eventLog()).toEqual([]);
    expect(await eventLogStatus(gw, 'opcenter-off')).toBeUndefined();
  });
});
