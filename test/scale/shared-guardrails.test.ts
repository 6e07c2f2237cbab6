/**
 * Hard stops that hold on every gateway: three real gateway processes on one PostgreSQL database,
 * requests spread across them at random with all of them in flight at once. Each rate and cooldown
 * limit admits exactly what one process admits (the limit), because the key's state is judged in
 * the store in the transaction that accepts the command, not in any process's memory.
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
import { freePort } from '../support/ports';
import { ensureServices } from '../support/services';
import { assertBuilt, startGateway, stopGateway, TOKEN, type GatewayProcess } from './support/gateway-processes';

const INSTANCE = 'opcenter-shared';
const RATED = 'RCP-RATED/OP10';
const COOLED = 'RCP-COOLED/OP10';

let sim: OpcenterSimulator;
let db: TestDatabase;
let dir: string;
const gateways: GatewayProcess[] = [];
const envOf = new Map<number, Record<string, string>>();

beforeAll(async () => {
  assertBuilt();
  await ensureServices(['postgres']);
  db = await createTestDatabase('postgres', { name: 'sharedguard' });
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
            ],
          },
        },
      ],
    }),
  );
  // One after the other: the first runs the migrations.
  for (const name of ['a', 'b', 'c']) {
    const dataDir = path.join(dir, name);
    fs.mkdirSync(dataDir);
    const env = { LOOPGATE_DATA_DIR: dataDir, LOOPGATE_SITE_FILE: siteFile, LOOPGATE_DATABASE_URL: db.location };
    const gateway = await startGateway(await freePort(), env);
    envOf.set(gateway.port, env);
    gateways.push(gateway);
  }
}, 120_000);

afterAll(async () => {
  for (const gateway of gateways) await stopGateway(gateway);
  await sim?.close();
  await db?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function request(object: string, n: number): WriteBackRequest {
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}` },
    target: { kind: 'opcenter', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: object },
    action: 'set-parameter',
    parameter: 'FeedRate',
    value: 1000 + (n % 50),
    reason: 'shared guardrails across processes',
    notAfter: new Date(Date.now() + 120_000).toISOString(),
    initiator: 'ai',
  };
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

describe('guardrails shared by three gateway processes on one PostgreSQL database', () => {
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

  it('a restarted process still counts the writes the others admitted', async () => {
    const restarted = gateways.shift()!;
    await stopGateway(restarted);
    gateways.unshift(await startGateway(restarted.port, envOf.get(restarted.port)!));
    const outcomes = await burst([request(RATED, 1), request(COOLED, 1)]);
    expect(outcomes.map((o) => o.reasonCode)).toEqual(['RATE_LIMITED', 'COOLDOWN']);
  });
});
