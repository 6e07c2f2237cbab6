/**
 * Locks as the MES scopes them, across processes: two real gateway processes on one PostgreSQL
 * database write two parameters of the same FactoryTalk recipes (FactoryTalk locks the whole
 * recipe), one parameter each. The lock scope is claimed through the store (an advisory lock per
 * recipe) around each lock → write → confirm, so the two processes take turns: no write waits on a
 * lock held by the other process, none fails, each key's writes land once and in order.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditRecord, WriteBackOutcome, WriteBackRequest } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFactoryTalkSimulator, type FactoryTalkSimulator } from '../../server/src/targets/factorytalk/simulator';
import {
  assertBuilt,
  GatewayApi,
  startGatewaysOnDatabase,
  stopGateway,
  TOKEN,
  type GatewayProcess,
} from '../scale/support/gateway-processes';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { ensureServices } from '../support/services';

const INSTANCE = 'ft-scope';
const RECIPES = Array.from({ length: 4 }, (_, i) => `RCP-LOAD-${String(i + 1).padStart(3, '0')}`);
const PER_KEY = 20;
const PARAMETERS = ['FeedRate', 'SpindleSpeed'] as const;

let sim: FactoryTalkSimulator;
let db: TestDatabase;
let dir: string;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  await ensureServices(['postgres']);
  db = await createTestDatabase('postgres', { name: 'lockscope' });
  sim = await startFactoryTalkSimulator({ extra: { recipes: RECIPES.length } });
  // Each step takes a little while, so the two processes' writes to one recipe overlap.
  sim.faults.set({ latencyMs: 15 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-lockscope-'));
  const siteFile = path.join(dir, 'site.json');
  fs.writeFileSync(
    siteFile,
    JSON.stringify({
      targets: [
        {
          instance: INSTANCE,
          kind: 'factorytalk',
          connection: { baseUrl: sim.url, username: sim.username, password: sim.secrets[0], writesPerSecond: 1_000 },
          processing: { attempts: 'unlimited', initialDelayMs: 20, maxDelayMs: 500, outage: 'hold' },
        },
      ],
    }),
  );
  const started = await startGatewaysOnDatabase(db.location, dir, ['a', 'b'], { LOOPGATE_SITE_FILE: siteFile });
  gateways.push(...started.map((s) => s.gateway));
}, 120_000);

afterAll(async () => {
  for (const gateway of gateways) await stopGateway(gateway);
  await sim?.close();
  await db?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function request(recipe: string, parameter: (typeof PARAMETERS)[number], n: number): WriteBackRequest {
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}` },
    target: { kind: 'factorytalk', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: recipe },
    action: 'set-parameter',
    parameter,
    value: (parameter === 'FeedRate' ? 1200 : 8000) + n + 1,
    reason: 'two processes, one recipe lock',
    notAfter: new Date(Date.now() + 120_000).toISOString(),
    initiator: 'ai',
  };
}

async function submit(api: GatewayApi, body: WriteBackRequest): Promise<string> {
  const response = await fetch(`${api.base}/writebacks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as WriteBackOutcome).commandId;
}

describe('lock scope across gateway processes', () => {
  it('two processes writing two parameters of one FactoryTalk recipe take turns: none waits on the other, none fails', async () => {
    const apis = gateways.map((g) => new GatewayApi(g.port));
    const started = Date.now();
    // Process a writes FeedRate, process b SpindleSpeed, of the same recipes, at the same time.
    const accepted = await Promise.all(
      PARAMETERS.map(async (parameter, p) => {
        const ids: { id: string; recipe: string; parameter: string }[] = [];
        for (let n = 0; n < PER_KEY; n++) {
          for (const recipe of RECIPES)
            ids.push({ id: await submit(apis[p], request(recipe, parameter, n)), recipe, parameter });
        }
        return ids;
      }),
    ).then((lists) => lists.flat());

    const terminal = new Set(['applied', 'rejected', 'failed', 'expired', 'shadow', 'reverted']);
    let outcomes: WriteBackOutcome[] = [];
    const deadline = Date.now() + 90_000;
    for (;;) {
      outcomes = await apis[0].outcomes();
      if (outcomes.length === accepted.length && outcomes.every((o) => terminal.has(o.state))) break;
      if (Date.now() > deadline) throw new Error(`not finished:\n${gateways.map((g) => g.output()).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const seconds = (Date.now() - started) / 1000;

    const audit: AuditRecord[] = await apis[0].audit();
    const ledger = sim.ledger().filter((e) => e.source === 'api');
    const landed = new Map<string, number>();
    for (const e of ledger) if (e.externalRef) landed.set(e.externalRef, (landed.get(e.externalRef) ?? 0) + 1);
    let reordered = 0;
    let turns = 0;
    for (const recipe of RECIPES) {
      for (const parameter of PARAMETERS) {
        const order = accepted.filter((a) => a.recipe === recipe && a.parameter === parameter).map((a) => a.id);
        const atMes = ledger.filter((e) => e.object === recipe && e.parameter === parameter).map((e) => e.externalRef);
        if (JSON.stringify(atMes) !== JSON.stringify(order)) reordered += 1;
      }
      // How often the recipe's writes changed hands between the two processes.
      const hands = ledger.filter((e) => e.object === recipe).map((e) => e.parameter);
      turns += hands.filter((parameter, i) => i > 0 && parameter !== hands[i - 1]).length;
    }
    const report = {
      commands: accepted.length,
      applied: outcomes.filter((o) => o.state === 'applied').length,
      failed: outcomes.filter((o) => o.state === 'failed').length,
      duplicated: [...landed.values()].filter((n) => n > 1).length,
      reordered,
      lockWaits: audit.filter((r) => r.reasonCode === 'LOCK_UNAVAILABLE').length,
      turns,
      seconds,
    };
    console.log(JSON.stringify(report));
    expect(report).toMatchObject({
      applied: accepted.length,
      failed: 0,
      duplicated: 0,
      reordered: 0,
      lockWaits: 0,
    });
    // The two processes really interleaved on the same recipes.
    expect(turns).toBeGreaterThanOrEqual(RECIPES.length);
    for (const gateway of gateways) expect(gateway.output()).not.toMatch(/LOCK_RELEASE_FAILED|LOCK_UNAVAILABLE/);
  });
});
