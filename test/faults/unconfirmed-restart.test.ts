/**
 * Sent but not confirmed, then `kill -9`: a real gateway process (server/dist/main.js, SQLite in its
 * data folder) against the FactoryTalk simulator. A write is stored as sent (`attempts`) before it
 * goes out, so the restarted process reads the target until it knows instead of writing again or
 * forgetting. Two ways to be caught mid-confirmation: the MES applied the write and is slow to
 * answer (killed while the answer is outstanding), and the MES applied it and every confirming
 * read fails (killed while `reconciling`; the restart keeps reading and writes nothing until a read
 * answers). Each key's writes land once, in accepted order.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditRecord, WriteBackList, WriteBackOutcome, WriteBackRequest } from '@loopgate/contracts';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFactoryTalkSimulator, type FactoryTalkSimulator } from '../../server/src/targets/factorytalk/simulator';
import type { LedgerInput } from '../../server/src/targets/sim-kit';
import {
  assertBuilt,
  GatewayApi,
  startGateway,
  stopGateway,
  TOKEN,
  type GatewayProcess,
} from '../scale/support/gateway-processes';
import { freePort } from '../support/ports';

const INSTANCE = 'ft-restart';
const RECIPES = 6;
const KEYS = Array.from({ length: RECIPES }, (_, i) => `RCP-LOAD-${String(i + 1).padStart(3, '0')}`).flatMap((id) =>
  ['FeedRate', 'SpindleSpeed'].map((parameter) => ({ id, parameter })),
);
/** Commands per key. */
const PER_KEY = 2;

let sim: FactoryTalkSimulator | undefined;
let gateway: GatewayProcess | undefined;
let dataDir: string | undefined;

beforeAll(() => assertBuilt());

afterEach(async () => {
  await stopGateway(gateway, 'SIGKILL');
  await sim?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  gateway = sim = dataDir = undefined;
});

interface Setup {
  sim: FactoryTalkSimulator;
  start(): Promise<GatewayApi>;
  /** Calls `then` right after the simulator applied its `n`-th write through the API. */
  afterWrite(n: number, then: () => void): void;
}

async function setup(): Promise<Setup> {
  sim = await startFactoryTalkSimulator({ maxLockTtlMs: 2_000, extra: { recipes: RECIPES } });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-unconfirmed-'));
  const siteFile = path.join(dataDir, 'site.json');
  fs.writeFileSync(
    siteFile,
    JSON.stringify({
      targets: [
        {
          instance: INSTANCE,
          kind: 'factorytalk',
          connection: {
            baseUrl: sim.url,
            username: sim.username,
            password: sim.secrets[0],
            requestTimeoutMs: 5_000,
            lockTtlSeconds: 2,
          },
          processing: { attempts: 'unlimited', initialDelayMs: 50, maxDelayMs: 400, outage: 'hold' },
        },
      ],
    }),
  );
  const port = await freePort();
  const hooks: { n: number; then: () => void }[] = [];
  const ledger = sim.ledgerStore;
  const append = ledger.append.bind(ledger);
  let writes = 0;
  ledger.append = (input: LedgerInput) => {
    const entry = append(input);
    if (input.source === 'api') {
      writes += 1;
      for (const hook of hooks.filter((h) => h.n === writes)) hook.then();
    }
    return entry;
  };
  const running = sim;
  return {
    sim: running,
    start: async () => {
      gateway = await startGateway(port, {
        LOOPGATE_DATA_DIR: dataDir as string,
        LOOPGATE_SITE_FILE: siteFile,
      });
      return new GatewayApi(port);
    },
    afterWrite: (n, then) => hooks.push({ n, then }),
  };
}

function request(key: (typeof KEYS)[number], n: number): WriteBackRequest {
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}` },
    target: { kind: 'factorytalk', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: key.id },
    action: 'set-parameter',
    parameter: key.parameter,
    // Small steps from the seed (1200 / 8000), distinct per command.
    value: (key.parameter === 'FeedRate' ? 1200 : 8000) + n + 1,
    reason: 'unconfirmed across a restart',
    notAfter: new Date(Date.now() + 120_000).toISOString(),
    initiator: 'ai',
  };
}

async function submitAll(api: GatewayApi): Promise<{ id: string; key: number }[]> {
  const accepted: { id: string; key: number }[] = [];
  for (let n = 0; n < PER_KEY; n++) {
    for (let k = 0; k < KEYS.length; k++) {
      const response = await fetch(`${api.base}/writebacks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(request(KEYS[k], n)),
      });
      expect(response.status).toBe(202);
      accepted.push({ id: ((await response.json()) as WriteBackOutcome).commandId, key: k });
    }
  }
  return accepted;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms:\n${gateway?.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function killed(): Promise<void> {
  const child = gateway?.child;
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
}

/** Every command terminal; lost, duplicated, reordered counted against the simulator's ledger. */
async function tally(sim: FactoryTalkSimulator, api: GatewayApi, accepted: { id: string; key: number }[]) {
  const terminal = new Set(['applied', 'rejected', 'failed', 'expired', 'shadow', 'reverted']);
  const outcomes = await waitFor('every command terminal', async () => {
    const all = await api.outcomes();
    return all.length === accepted.length && all.every((o) => terminal.has(o.state)) ? all : undefined;
  });
  const byId = new Map(outcomes.map((o) => [o.commandId, o]));
  const ledger = sim.ledger().filter((e) => e.source === 'api');
  const landed = new Map<string, number>();
  for (const e of ledger) if (e.externalRef) landed.set(e.externalRef, (landed.get(e.externalRef) ?? 0) + 1);
  let reordered = 0;
  KEYS.forEach((key, k) => {
    const order = accepted.filter((a) => a.key === k).map((a) => a.id);
    const atMes = ledger.filter((e) => e.object === key.id && e.parameter === key.parameter).map((e) => e.externalRef);
    if (JSON.stringify(atMes) !== JSON.stringify(order.filter((id) => landed.has(id)))) reordered += 1;
  });
  return {
    applied: outcomes.filter((o) => o.state === 'applied').length,
    lost: accepted.filter((a) => !terminal.has(byId.get(a.id)?.state ?? 'missing')).length,
    duplicated: [...landed.values()].filter((n) => n > 1).length,
    reordered,
    notAppliedButAtMes: outcomes.filter((o) => o.state !== 'applied' && landed.has(o.commandId)).length,
  };
}

const reconcilingIds = async (api: GatewayApi) =>
  (await api.get<WriteBackList>('/writebacks?state=reconciling&limit=500')).outcomes.map((o) => o.commandId);

describe('sent but unconfirmed survives kill -9', () => {
  it('slow answer: killed while the answer is outstanding; the restart reads, finds the write and does not send it again', async () => {
    const { sim, start, afterWrite } = await setup();
    let api = await start();
    // The MES applies at once and answers 1.5 s later: the kill lands between the two.
    sim.faults.set({ latencyMs: 1_500 });
    afterWrite(1, () => gateway?.child.kill('SIGKILL'));
    const accepted = await submitAll(api);
    await killed();
    const landedBeforeRestart = sim.ledger().filter((e) => e.source === 'api');
    expect(landedBeforeRestart.length).toBeGreaterThan(0);

    sim.faults.clear();
    const restarted = Date.now();
    api = await start();
    const report = await tally(sim, api, accepted);
    console.log(
      JSON.stringify({
        case: 'slow answer',
        landedBeforeRestart: landedBeforeRestart.length,
        ...report,
        seconds: (Date.now() - restarted) / 1000,
      }),
    );
    expect(report).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, notAppliedButAtMes: 0 });
    expect(report.applied).toBe(accepted.length);
    for (const entry of landedBeforeRestart) {
      expect(sim.ledger().filter((e) => e.externalRef === entry.externalRef)).toHaveLength(1);
    }
  });

  it('confirming reads fail: killed while reconciling; the restart keeps reading, writes nothing, then applies', async () => {
    const { sim, start, afterWrite } = await setup();
    let api = await start();
    // From the first write on, every read answers 503: writes that land cannot be confirmed.
    afterWrite(1, () => sim.faults.set({ readErrorRate: 1 }));
    const accepted = await submitAll(api);
    const before = await waitFor('a command reconciling', async () => {
      const ids = await reconcilingIds(api);
      const landed = sim.ledger().filter((e) => e.source === 'api').length;
      return ids.length > 0 && ids.length === landed ? ids : undefined;
    });
    gateway?.child.kill('SIGKILL');
    await killed();
    const landedAtKill = sim.ledger().filter((e) => e.source === 'api');
    const writesAtKill = landedAtKill.length;

    api = await start();
    // The restarted process is reading (requests arrive) and still reconciling the same commands.
    const requestsAtStart = sim.requestCount();
    await waitFor('reads after the restart', async () =>
      sim.requestCount() > requestsAtStart + 4 * before.length ? true : undefined,
    );
    // Those seen reconciling still are, and so is every write that reached the MES before the kill.
    // A command the killed process had begun to send (between that look and the kill) is reconciled
    // too: whether it went out is not known, so it is read for, not sent again.
    const reconciling = await reconcilingIds(api);
    expect(reconciling).toEqual(expect.arrayContaining([...before, ...landedAtKill.map((e) => e.externalRef)]));
    // Every read fails, so no write can follow one: nothing was sent again.
    expect(sim.ledger().filter((e) => e.source === 'api')).toHaveLength(writesAtKill);
    const audit: AuditRecord[] = await api.audit();
    for (const id of before) {
      expect(
        audit.some((r) => r.commandId === id && r.outcome === 'pending' && r.reasonCode === 'OUTCOME_UNKNOWN'),
      ).toBe(true);
    }

    sim.faults.clear();
    const report = await tally(sim, api, accepted);
    console.log(JSON.stringify({ case: 'reads failing', reconcilingAtKill: before.length, writesAtKill, ...report }));
    expect(report).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, notAppliedButAtMes: 0 });
    expect(report.applied).toBe(accepted.length);
  });
});
