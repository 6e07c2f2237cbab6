/**
 * Hard stops that hold on every gateway: three real gateway processes on one PostgreSQL database,
 * on the outbox bus and on Kafka (one consumer group), requests spread across them at random with all of them in flight at once. Each rate, cooldown
 * and drift limit admits exactly what one process admits, because the key's state is judged in the
 * store in the transaction that accepts the command, not in any process's memory; a pause, a stop
 * or shadow mode set through one process holds in the others from their next attempt; a pending
 * change signed through all three at once is applied once; an operator's override seen by one holds
 * the AI's writes to that key in all.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WriteBackOutcome, WriteBackRequest } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  opcenterSimulatorDefinition,
  startOpcenterSimulator,
  type OpcenterSimulator,
} from '../../server/src/targets/opcenter/simulator';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { ensureServices } from '../support/services';
import { awaitStableGroup, uniqueNames } from './support/bus-fixtures';
import {
  assertBuilt,
  GatewayApi,
  ADMIN_PASSWORD,
  startGateway,
  startGatewaysOnDatabase,
  stopGateway,
  TOKEN,
  type GatewayProcess,
} from './support/gateway-processes';

const INSTANCE = 'opcenter-shared';
const PAUSED = 'opcenter-paused';
const SHADOWED = 'opcenter-shadowed';
const RATED = 'RCP-RATED/OP10';
const COOLED = 'RCP-COOLED/OP10';
/** Seeded at the simulator with FeedRate 1150: the drift budget's baseline is read from there. */
const DRIFTED = 'CNC-02/OP20';
/** Seeded with FeedRate 1200 and SpindleSpeed 8000. */
const FREE = 'CNC-01/OP20';
const CELL = 'CNC_Cell_01/OP20';

let sim: OpcenterSimulator;
let db: TestDatabase;
let dir: string;
const gateways: GatewayProcess[] = [];
const envOf = new Map<number, Record<string, string>>();

/** Starts the simulator, the database and three gateway processes on `bus`. */
async function startAll(bus: 'outbox' | 'kafka'): Promise<void> {
  assertBuilt();
  const services = await ensureServices(bus === 'kafka' ? ['postgres', 'kafka'] : ['postgres']);
  db = await createTestDatabase('postgres', { name: `sharedguard_${bus}` });
  sim = await startOpcenterSimulator({ transactionsPerSecond: 1000, queueDepth: 1000 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-sharedguard-'));
  const siteFile = path.join(dir, 'site.json');
  fs.writeFileSync(
    siteFile,
    JSON.stringify({
      targets: [
        {
          instance: INSTANCE,
          kind: 'opcenter',
          connection: { ...(opcenterSimulatorDefinition.connection(sim) as object), writesPerSecond: 500 },
          guardrails: {
            limits: [
              { parameter: 'FeedRate', object: RATED, maxWrites: 10, windowSeconds: 600 },
              { parameter: 'FeedRate', object: COOLED, cooldownSeconds: 600 },
              { parameter: 'FeedRate', object: DRIFTED, maxDriftPercent: 10, driftAction: 'refuse' },
            ],
          },
          approvals: [{ name: 'spindle speed', parameter: 'SpindleSpeed' }],
        },
        ...[PAUSED, SHADOWED].map((instance) => ({
          instance,
          kind: 'opcenter',
          connection: { ...(opcenterSimulatorDefinition.connection(sim) as object), writesPerSecond: 500 },
        })),
      ],
    }),
  );
  const names = uniqueNames('sharedguard');
  const kafka: Record<string, string> =
    bus === 'kafka'
      ? {
          LOOPGATE_BUS: 'kafka',
          LOOPGATE_KAFKA_BROKERS: services.kafka.brokers.join(','),
          LOOPGATE_KAFKA_TOPIC: names.topic,
          LOOPGATE_KAFKA_GROUP_ID: names.groupId,
          LOOPGATE_KAFKA_SESSION_TIMEOUT_MS: '6000',
        }
      : {};
  for (const { gateway, env } of await startGatewaysOnDatabase(db.location, dir, ['a', 'b', 'c'], {
    LOOPGATE_SITE_FILE: siteFile,
    ...kafka,
  })) {
    envOf.set(gateway.port, env);
    gateways.push(gateway);
  }
  // Every process owns partitions before the first request.
  if (bus === 'kafka') await awaitStableGroup(services.kafka.brokers, names.groupId, 3);
}

async function stopAll(): Promise<void> {
  for (const gateway of gateways.splice(0)) await stopGateway(gateway);
  envOf.clear();
  await sim?.close();
  await db?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

function request(
  object: string,
  n: number,
  patch: { instance?: string; parameter?: string; value?: number } = {},
): WriteBackRequest {
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}` },
    target: { kind: 'opcenter', instance: patch.instance ?? INSTANCE },
    object: { type: 'recipe-parameter', id: object },
    action: 'set-parameter',
    parameter: patch.parameter ?? 'FeedRate',
    value: patch.value ?? 1000 + (n % 50),
    reason: 'shared guardrails across processes',
    notAfter: new Date(Date.now() + 120_000).toISOString(),
  };
}

const api = (i: number) => new GatewayApi(gateways[i].port);
const apiWrites = (object: string) => sim.ledger().filter((e) => e.source === 'api' && e.object === object);

/** Polls until `probe` answers; the probe's last failure is the error. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The commands of `outcomes`, once every one of them has left queued and dispatching. */
async function settled(outcomes: WriteBackOutcome[]): Promise<WriteBackOutcome[]> {
  return until('the commands to settle', async () => {
    const now = await Promise.all(outcomes.map((o) => api(0).get<WriteBackOutcome>(`/writebacks/${o.commandId}`)));
    return now.every((o) => !['queued', 'dispatching', 'reconciling'].includes(o.state)) ? now : undefined;
  });
}

/** The time of the newest audit record with this reason code and message start (a control change). */
async function recordTime(reasonCode: string, message: string): Promise<number> {
  const records = await api(0).audit();
  const record = records.filter((r) => r.reasonCode === reasonCode && r.message?.startsWith(message)).at(-1);
  if (!record) throw new Error(`no ${reasonCode} record "${message}"`);
  return Date.parse(record.time);
}

/** Sends every request at once, each to a gateway picked at random; the answers' states and codes. */
async function burst(requests: WriteBackRequest[]): Promise<WriteBackOutcome[]> {
  return Promise.all(
    requests.map(async (body) => {
      const gateway = gateways[Math.floor(Math.random() * gateways.length)];
      const response = await fetch(`http://127.0.0.1:${gateway.port}/api/v1/writebacks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(202);
      return (await response.json()) as WriteBackOutcome;
    }),
  );
}

const accepted = (outcomes: WriteBackOutcome[]) => outcomes.filter((o) => o.state !== 'rejected');
const refusedCodes = (outcomes: WriteBackOutcome[]) =>
  new Set(outcomes.filter((o) => o.state === 'rejected').map((o) => o.reasonCode));

describe.each(['outbox', 'kafka'] as const)(
  'guardrails shared by three gateway processes on one PostgreSQL database, %s bus',
  (bus) => {
    beforeAll(() => startAll(bus), 180_000);
    afterAll(() => stopAll());

    it('a rate limit of 10 per 600 s admits exactly 10 of 120 requests in flight across the processes', async () => {
      const outcomes = await burst(Array.from({ length: 120 }, (_, n) => request(RATED, n)));
      expect(accepted(outcomes)).toHaveLength(10);
      expect(refusedCodes(outcomes)).toEqual(new Set(['RATE_LIMITED']));
    });

    it('a 600 s cooldown admits exactly one of 60 requests in flight across the processes', async () => {
      const outcomes = await burst(Array.from({ length: 60 }, (_, n) => request(COOLED, n)));
      expect(accepted(outcomes)).toHaveLength(1);
      expect(refusedCodes(outcomes)).toEqual(new Set(['COOLDOWN']));
    });

    it('a drift budget of 10 % from the value at the target admits exactly the writes within it, across processes', async () => {
      // 1146, 1142 … 910: within 10 % of 1150 down to 1038 (28 writes), beyond it from 1034 on (32).
      const outcomes = await burst(
        Array.from({ length: 60 }, (_, n) => request(DRIFTED, n, { value: 1150 - 4 * (n + 1) })),
      );
      expect(accepted(outcomes)).toHaveLength(28);
      expect(refusedCodes(outcomes)).toEqual(new Set(['DRIFT_BUDGET_EXCEEDED']));
      // Exactly the first 28 values, whichever process took them and in whatever order they arrived.
      expect(outcomes.flatMap((o, n) => (o.state === 'rejected' ? [] : [n]))).toEqual([...Array(28).keys()]);
    });

    it('a pause set through one process holds in the others: nothing reaches the target until resumed', async () => {
      expect((await api(0).postAsAdmin(`/targets/${PAUSED}/pause`, { reason: 'cross-process pause' })).status).toBe(
        200,
      );
      // Writes to the paused instance and to a running one, through all three processes at once.
      const held = await burst(Array.from({ length: 30 }, (_, n) => request(CELL, n, { instance: PAUSED })));
      const flowing = await burst(Array.from({ length: 30 }, (_, n) => request(FREE, n)));
      // The running instance's writes all land: dispatch was flowing in every process meanwhile.
      expect((await settled(flowing)).map((o) => o.state)).toEqual(Array(30).fill('applied'));
      expect(apiWrites(CELL)).toEqual([]);
      expect((await api(2).postAsAdmin(`/targets/${PAUSED}/resume`, { reason: 'done' })).status).toBe(200);
      const resumedAt = await recordTime('TARGET_PAUSED', `${PAUSED} resumed`);
      expect((await settled(held)).map((o) => o.state)).toEqual(Array(30).fill('applied'));
      expect(apiWrites(CELL)).toHaveLength(30);
      expect(apiWrites(CELL).filter((e) => Date.parse(e.time) < resumedAt)).toEqual([]);
    });

    it('the kill switch pressed on one process stops the others before their next attempt', async () => {
      expect((await api(1).postAsAdmin('/control/stop', { reason: 'cross-process stop' })).status).toBe(200);
      const before = apiWrites(FREE).length;
      const held = await burst(Array.from({ length: 30 }, (_, n) => request(FREE, n, { value: 1100 + n })));
      // Every process has them queued, none started.
      await until('every command queued', async () => {
        const states = await Promise.all(held.map((o) => api(2).get<WriteBackOutcome>(`/writebacks/${o.commandId}`)));
        return states.every((o) => o.state === 'queued') ? true : undefined;
      });
      expect((await api(0).postAsAdmin('/control/resume', { reason: 'drill over' })).status).toBe(200);
      const resumedAt = await recordTime('KILL_SWITCH', 'dispatch resumed');
      expect((await settled(held)).map((o) => o.state)).toEqual(Array(30).fill('applied'));
      const landed = apiWrites(FREE).slice(before);
      expect(landed).toHaveLength(30);
      expect(landed.filter((e) => Date.parse(e.time) < resumedAt)).toEqual([]);
    });

    it('shadow mode set through one process: every process decides and audits, nothing is written', async () => {
      expect((await api(2).postAsAdmin(`/targets/${SHADOWED}/shadow`, { enabled: true, reason: 'trial' })).status).toBe(
        200,
      );
      const outcomes = await burst(Array.from({ length: 30 }, (_, n) => request(FREE, n, { instance: SHADOWED })));
      expect((await settled(outcomes)).map((o) => o.state)).toEqual(Array(30).fill('shadow'));
      expect(
        sim
          .ledger()
          .filter((e) => e.source === 'api' && e.externalRef && outcomes.some((o) => o.commandId === e.externalRef)),
      ).toEqual([]);
    });

    it('a pending change signed through all three processes at once is approved and applied once', async () => {
      const pending = await burst(
        Array.from({ length: 10 }, (_, n) => request(FREE, n, { parameter: 'SpindleSpeed', value: 7000 + n })),
      );
      expect(pending.map((o) => o.state)).toEqual(Array(10).fill('pending-approval'));
      const answers = await Promise.all(
        pending.flatMap((o) =>
          [0, 1, 2].map((i) =>
            api(i).postAsAdmin<{ code?: string }>(`/writebacks/${o.commandId}/approve`, {
              password: ADMIN_PASSWORD,
              meaning: 'approved',
            }),
          ),
        ),
      );
      for (let k = 0; k < pending.length; k++) {
        const three = answers.slice(3 * k, 3 * k + 3);
        expect(three.filter((a) => a.status === 200)).toHaveLength(1);
        expect(three.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([409, 409]);
      }
      expect((await settled(pending)).map((o) => o.state)).toEqual(Array(10).fill('applied'));
      const spindle = sim.ledger().filter((e) => e.source === 'api' && e.parameter === 'SpindleSpeed');
      for (const o of pending) expect(spindle.filter((e) => e.externalRef === o.commandId)).toHaveLength(1);
    });

    it('failed passwords count across the processes: past the threshold every process answers LOGIN_DELAYED', async () => {
      const attempt = async (i: number, password: string) => {
        const response = await fetch(`http://127.0.0.1:${gateways[i % gateways.length].port}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password }),
        });
        return { status: response.status, body: (await response.json().catch(() => ({}))) as { code?: string } };
      };
      // The threshold is 5 failures of one account from one address; spread over three processes.
      for (let i = 0; i < 5; i++) expect((await attempt(i, `wrong-${i}`)).status).toBe(401);
      for (let i = 0; i < 3; i++) {
        const delayed = await attempt(i, ADMIN_PASSWORD);
        expect(delayed.status).toBe(429);
        expect(delayed.body.code).toBe('LOGIN_DELAYED');
      }
      // The delay (1 s after the fifth failure) ends for every process at once; the right password then signs in.
      await expect
        .poll(async () => (await attempt(1, ADMIN_PASSWORD)).status, { timeout: 10_000, interval: 250 })
        .toBe(200);
    });

    it("an operator's override seen by one process holds the AI's writes to that key in every process", async () => {
      const [write] = await settled(await burst([request(FREE, 1, { value: 1190 })]));
      expect(write.state).toBe('applied');
      sim.operatorEdit(FREE, 'FeedRate', 1175, 'otto');
      // Whichever process watches the key sees the hand edit and stores the hold with it.
      await until('the override to be recorded', async () =>
        (await api(0).audit()).find((r) => r.outcome === 'overridden' && r.commandId === write.commandId),
      );
      const before = apiWrites(FREE).length;
      const refused = await burst(Array.from({ length: 30 }, (_, n) => request(FREE, n, { value: 1100 + n })));
      expect(refused.map((o) => o.reasonCode)).toEqual(refused.map(() => 'OVERRIDE_HOLD'));
      expect(apiWrites(FREE)).toHaveLength(before);
    });

    it('a restarted process still counts the writes the others admitted', async () => {
      const restarted = gateways.shift()!;
      await stopGateway(restarted);
      gateways.unshift(await startGateway(restarted.port, envOf.get(restarted.port)!));
      const outcomes = await burst([request(RATED, 1), request(COOLED, 1)]);
      expect(outcomes.map((o) => o.reasonCode)).toEqual(['RATE_LIMITED', 'COOLDOWN']);
    });
  },
);
