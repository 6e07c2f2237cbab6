/**
 * Two real gateway processes on one PostgreSQL database and one Kafka consumer group
 * (LOOPGATE_BUS=kafka). A burst of write-backs to the Opcenter simulator; the worker that owns
 * some of the keys is killed with SIGKILL mid-burst. The survivor takes its partitions over:
 * every command ends applied, each exactly once and in accepted order at the simulator, one
 * terminal audit record each, and the hash chain verifies.
 */
import { TERMINAL_COMMAND_STATES, type WriteBackRequest } from '@loopgate/contracts';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderingKeyOf } from '../../server/src/gateway/bus/command-bus';
import { partitionForKey } from '../../server/src/gateway/bus/kafka';
import {
  opcenterSimulatorDefinition,
  startOpcenterSimulator,
  type OpcenterSimulator,
} from '../../server/src/targets/opcenter/simulator';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { freePorts } from '../support/ports';
import { ensureServices } from '../support/services';
import { awaitStableGroup, uniqueNames } from './support/bus-fixtures';
import { assertBuilt, GatewayApi, startGateway, stopGateway, type GatewayProcess } from './support/gateway-processes';

const OBJECTS = ['CNC-01/OP20', 'CNC-02/OP20'];
const PARAMETERS = ['FeedRate', 'SpindleSpeed'];
const BURST = 160;

/** An instance name whose four keys land on partitions of both parities, so both workers (round-robin) own some. */
function instanceSpreadOverBothWorkers(): string {
  for (let n = 0; ; n++) {
    const instance = `opcenter-failover-${n}`;
    const partitions = OBJECTS.flatMap((o) =>
      PARAMETERS.map((p) => partitionForKey(orderingKeyOf(instance, 'recipe-parameter', o, p), 12)),
    );
    if (partitions.filter((p) => p % 2 === 0).length === 2) return instance;
  }
}

const INSTANCE = instanceSpreadOverBothWorkers();
const KEYS = OBJECTS.flatMap((object) =>
  PARAMETERS.map((parameter) => ({
    object,
    parameter,
    key: orderingKeyOf(INSTANCE, 'recipe-parameter', object, parameter),
  })),
);

function request(i: number): WriteBackRequest {
  const key = KEYS[i % KEYS.length];
  return {
    requestId: `failover-${i}`,
    lineage: { inferenceId: `inf-failover-${i}`, modelId: 'wear-v3' },
    target: { kind: 'opcenter', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: key.object },
    action: 'set-parameter',
    parameter: key.parameter,
    // Distinct per command, so a read shows whose write landed.
    value: 3000 + i,
    reason: 'failover test',
    notAfter: new Date(Date.now() + 300_000).toISOString(),
    initiator: 'ai',
  };
}

let sim: OpcenterSimulator;
let db: TestDatabase;
let dir: string;
const gateways: GatewayProcess[] = [];
let owned: Map<string, number[]>;
let store: DataSource;

interface CommandRow {
  id: string;
  request_id: string;
  state: string;
  reason_code: string | null;
}

beforeAll(async () => {
  assertBuilt();
  const { kafka } = await ensureServices(['postgres', 'kafka']);
  db = await createTestDatabase('postgres', { name: 'failover' });
  sim = await startOpcenterSimulator({ transactionsPerSecond: 1000, queueDepth: 1000 });
  // 503s before anything is applied, and dropped connections after a command was applied.
  sim.faults.set({ errorRate: 0.03, dropRate: 0.05, latencyMs: 2 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-failover-'));
  const siteFile = path.join(dir, 'site.json');
  const connection = {
    ...(opcenterSimulatorDefinition.connection(sim, { requestTimeoutMs: 2000 }) as object),
    writesPerSecond: 60,
    maxConcurrentWrites: 4,
  };
  fs.writeFileSync(
    siteFile,
    JSON.stringify({
      targets: [
        {
          instance: INSTANCE,
          kind: 'opcenter',
          connection,
          guardrails: { retry: { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 500 } },
        },
      ],
    }),
  );
  const names = uniqueNames('failover');
  const env = {
    LOOPGATE_DATA_DIR: dir,
    LOOPGATE_SITE_FILE: siteFile,
    LOOPGATE_DATABASE_URL: db.location,
    LOOPGATE_BUS: 'kafka',
    LOOPGATE_KAFKA_BROKERS: kafka.brokers.join(','),
    LOOPGATE_KAFKA_TOPIC: names.topic,
    LOOPGATE_KAFKA_GROUP_ID: names.groupId,
    LOOPGATE_KAFKA_SESSION_TIMEOUT_MS: '6000',
  };
  // One after the other: the first runs the migrations.
  for (const port of await freePorts(2)) gateways.push(await startGateway(port, env));
  owned = await awaitStableGroup(kafka.brokers, names.groupId, 2);
  store = await new DataSource({ type: 'postgres', url: db.location, extra: { max: 2 } }).initialize();
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => stopGateway(g)));
  if (store?.isInitialized) await store.destroy();
  await sim?.close();
  await db?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Kafka bus failover between two gateway processes (kill -9 mid-burst)', () => {
  it('applies every command exactly once and in order, the survivor finishing what the killed worker held', async () => {
    // Members are named loopgate-<host>-<pid>: find each process's partitions.
    const partitionsOf = (g: GatewayProcess) =>
      [...owned].find(([clientId]) => clientId.endsWith(`-${g.child.pid}`))?.[1] ?? [];
    const keysOf = (g: GatewayProcess) => KEYS.filter((k) => partitionsOf(g).includes(partitionForKey(k.key, 12)));
    const [victim, survivor] = gateways;
    expect(keysOf(victim).length, `victim partitions ${partitionsOf(victim)}`).toBeGreaterThan(0);
    expect(keysOf(survivor).length, `survivor partitions ${partitionsOf(survivor)}`).toBeGreaterThan(0);
    const victimKeys = new Set(keysOf(victim).map((k) => `${k.object}|${k.parameter}`));
    const appliedOnVictimKeys = () =>
      sim.ledger().filter((e) => e.source === 'api' && victimKeys.has(`${e.object}|${e.parameter}`)).length;

    const api = new GatewayApi(survivor.port);
    let next = 0;
    let killedAt = -1;
    // Four clients send the whole burst to the survivor; the victim only consumes its partitions.
    const client = async () => {
      while (next < BURST) {
        const status = await api.submit(request(next++));
        expect([200, 202]).toContain(status);
        if (killedAt < 0 && appliedOnVictimKeys() >= 12) {
          killedAt = appliedOnVictimKeys();
          victim.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    if (killedAt < 0) {
      // The burst was accepted faster than the victim applied: kill it while it dispatches.
      while (appliedOnVictimKeys() < 12) await new Promise((resolve) => setTimeout(resolve, 5));
      killedAt = appliedOnVictimKeys();
      victim.child.kill('SIGKILL');
    }
    await new Promise((resolve) =>
      victim.child.exitCode !== null || victim.child.signalCode
        ? resolve(undefined)
        : victim.child.once('exit', resolve),
    );
    expect(victim.child.signalCode).toBe('SIGKILL');

    // Wait on the database itself, then check that the survivor's API says the same (it accepted
    // every command, and must not answer from its own memory of those the victim applied).
    const states = async () =>
      (await store.query('SELECT id, request_id, state, reason_code FROM writeback_commands')) as CommandRow[];
    const deadline = Date.now() + 90_000;
    while ((await states()).some((r) => r.state === 'queued' || r.state === 'dispatching')) {
      if (Date.now() > deadline) throw new Error(`commands did not finish:\n${survivor.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const outcomes = await states();
    expect(outcomes).toHaveLength(BURST);
    expect(new Set(outcomes.map((o) => o.request_id)).size).toBe(BURST);
    expect(
      outcomes.filter((o) => o.state !== 'applied').map((o) => `${o.request_id}: ${o.state} ${o.reason_code ?? ''}`),
    ).toEqual([]);

    const listed = await api.outcomes();
    expect(listed).toHaveLength(BURST);
    expect(listed.filter((o) => o.state !== 'applied').map((o) => `${o.requestId}: ${o.state}`)).toEqual([]);
    const one = outcomes[0];
    expect(await api.get(`/writebacks/${one.id}`)).toMatchObject({ commandId: one.id, state: 'applied' });

    expect(await api.verifyAudit()).toMatchObject({ ok: true });
    const audit = await api.audit();
    for (const outcome of outcomes) {
      const terminal = audit.filter(
        (r) => r.commandId === outcome.id && (TERMINAL_COMMAND_STATES as readonly string[]).includes(r.outcome),
      );
      expect(terminal.map((r) => r.outcome)).toEqual(['applied']);
    }

    const ledger = sim.ledger().filter((e) => e.source === 'api');
    expect(ledger).toHaveLength(BURST);
    for (const key of KEYS) {
      const applied = ledger
        .filter((e) => e.object === key.object && e.parameter === key.parameter)
        .map((e) => e.externalRef);
      const accepted = audit
        .filter((r) => r.outcome === 'accepted' && r.object?.id === key.object && r.parameter === key.parameter)
        .map((r) => r.commandId);
      expect(applied).toEqual(accepted);
      expect(new Set(applied).size).toBe(BURST / KEYS.length);
    }
    // The kill really interrupted the victim: its keys had more to apply, and the survivor did it.
    expect(killedAt).toBeLessThan((BURST / KEYS.length) * victimKeys.size);
  });
});
