/**
 * The gateway as a real process: a burst of write-backs, `kill -9` in the middle of it, a restart
 * on the same data folder. Afterwards every request is one command in one terminal state, the
 * Opcenter simulator applied each key's commands in accepted order and none twice, and the audit
 * chain verifies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  TERMINAL_COMMAND_STATES,
  type AuditRecord,
  type AuditVerification,
  type WriteBackList,
  type WriteBackOutcome,
  type WriteBackRequest,
} from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  opcenterSimulatorDefinition,
  startOpcenterSimulator,
  type OpcenterSimulator,
} from '../../server/src/targets/opcenter/simulator';
import { freePort } from '../support/ports';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'server', 'dist', 'main.js');
let PORT: number;
let BASE: string;
const TOKEN = randomBytes(24).toString('base64url');
const ADMIN_PASSWORD = `Adm1n-${randomBytes(12).toString('hex')}`;
const INSTANCE = 'opcenter-crash';
const KEYS = [
  { object: 'CNC-01/OP20', parameter: 'FeedRate' },
  { object: 'CNC-01/OP20', parameter: 'SpindleSpeed' },
  { object: 'CNC-02/OP20', parameter: 'FeedRate' },
  { object: 'CNC-02/OP20', parameter: 'SpindleSpeed' },
];
const BURST = 120;
const KILL_AFTER = 45;

let sim: OpcenterSimulator;
let dataDir: string;
let siteFile: string;
let gateway: ChildProcess | undefined;
let output = '';

function startGatewayProcess(): ChildProcess {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOOPGATE_PORT: String(PORT),
      LOOPGATE_HOST: '127.0.0.1',
      LOOPGATE_DATA_DIR: dataDir,
      LOOPGATE_SITE_FILE: siteFile,
      LOOPGATE_NODE_RED: 'false',
      LOOPGATE_BOOTSTRAP_TOKEN: TOKEN,
      LOOPGATE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOOPGATE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return child;
}

async function waitReady(child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${PORT}/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gateway not ready within 60 s:\n${output}`);
}

async function stopGatewayProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

function request(i: number): WriteBackRequest {
  const key = KEYS[i % KEYS.length];
  return {
    requestId: `crash-${i}`,
    lineage: { inferenceId: `inf-crash-${i}`, modelId: 'wear-v3' },
    target: { kind: 'opcenter', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: key.object },
    action: 'set-parameter',
    parameter: key.parameter,
    // Distinct per command, so a read shows whose write landed.
    value: 3000 + i,
    reason: 'crash test',
    notAfter: new Date(Date.now() + 120_000).toISOString(),
    initiator: 'ai',
  };
}

async function submit(body: WriteBackRequest): Promise<number> {
  const response = await fetch(`${BASE}/writebacks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

async function get<T>(apiPath: string, token = TOKEN): Promise<T> {
  const response = await fetch(`${BASE}${apiPath}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${apiPath}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npx tsc -b first`);
  // The restart reuses the port: the gateway's URL stays what the test started with.
  PORT = await freePort();
  BASE = `http://127.0.0.1:${PORT}/api/v1`;
  sim = await startOpcenterSimulator({ transactionsPerSecond: 1000, queueDepth: 1000 });
  // 503s before anything is applied, and dropped connections after a command was applied.
  sim.faults.set({ errorRate: 0.03, dropRate: 0.05, latencyMs: 2 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-crash-'));
  siteFile = path.join(dataDir, 'site.json');
  const connection = {
    ...(opcenterSimulatorDefinition.connection(sim, { requestTimeoutMs: 2000 }) as object),
    writesPerSecond: 100,
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
          guardrails: { retry: { maxAttempts: 8, initialDelayMs: 20, maxDelayMs: 500 } },
        },
      ],
    }),
  );
});

afterAll(async () => {
  await stopGatewayProcess(gateway, 'SIGTERM');
  await sim?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('gateway crash (kill -9 mid-burst)', () => {
  it('keeps order, applies nothing twice, ends every command once, and the audit chain verifies', async () => {
    gateway = startGatewayProcess();
    await waitReady(gateway);

    const answered = new Set<number>();
    let next = 0;
    // Four clients send the burst; after KILL_AFTER answers the gateway is killed, mid-dispatch.
    const client = async () => {
      while (next < BURST) {
        const i = next++;
        const status = await submit(request(i)).catch(() => 0);
        if (status === 202 || status === 200) answered.add(i);
        if (answered.size === KILL_AFTER && gateway?.exitCode === null && gateway.signalCode === null)
          gateway.kill('SIGKILL');
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    await new Promise((resolve) =>
      gateway?.exitCode !== null || gateway?.signalCode ? resolve(undefined) : gateway?.once('exit', resolve),
    );
    expect(answered.size).toBeLessThan(BURST);
    const appliedBeforeRestart = sim.ledger().filter((e) => e.source === 'api').length;

    gateway = startGatewayProcess();
    await waitReady(gateway);
    // Clients send again what got no answer, and a few that did (same requestId).
    for (let i = 0; i < BURST; i++) {
      const status = await submit(request(i));
      expect([200, 202]).toContain(status);
      if (answered.has(i)) expect(status).toBe(200);
    }

    const deadline = Date.now() + 60_000;
    for (;;) {
      const queued = await get<WriteBackList>('/writebacks?state=queued&limit=1');
      const dispatching = await get<WriteBackList>('/writebacks?state=dispatching&limit=1');
      if (queued.outcomes.length === 0 && dispatching.outcomes.length === 0) break;
      if (Date.now() > deadline) throw new Error(`commands did not finish:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const outcomes: WriteBackOutcome[] = [];
    let before: string | undefined;
    do {
      const page: WriteBackList = await get<WriteBackList>(`/writebacks?limit=500${before ? `&before=${before}` : ''}`);
      outcomes.push(...page.outcomes);
      before = page.nextBefore;
    } while (before);
    // One command per request, each in a terminal state.
    expect(outcomes).toHaveLength(BURST);
    expect(new Set(outcomes.map((o) => o.requestId)).size).toBe(BURST);
    for (const outcome of outcomes) expect(TERMINAL_COMMAND_STATES).toContain(outcome.state);

    const login = await fetch(`${BASE}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { token: adminToken } = (await login.json()) as { token: string };
    const verification = await get<AuditVerification>('/audit/verify', adminToken);
    expect(verification).toMatchObject({ ok: true });
    const exported = await fetch(`${BASE}/audit/export?format=ndjson`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const audit = (await exported.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AuditRecord);

    // Exactly one terminal audit record per command, matching its state.
    const byId = new Map(outcomes.map((o) => [o.commandId, o]));
    for (const outcome of outcomes) {
      const terminal = audit.filter(
        (r) => r.commandId === outcome.commandId && (TERMINAL_COMMAND_STATES as readonly string[]).includes(r.outcome),
      );
      expect(terminal.map((r) => r.outcome)).toEqual([outcome.state]);
    }

    const ledger = sim.ledger().filter((e) => e.source === 'api');
    for (const key of KEYS) {
      const applied = ledger
        .filter((e) => e.object === key.object && e.parameter === key.parameter)
        .map((e) => e.externalRef);
      expect(new Set(applied).size).toBe(applied.length);
      const accepted = audit
        .filter((r) => r.outcome === 'accepted' && r.object?.id === key.object && r.parameter === key.parameter)
        .map((r) => r.commandId as string)
        .filter((id) => byId.get(id)?.state === 'applied');
      expect(applied).toEqual(accepted);
    }
    expect(outcomes.filter((o) => o.state === 'applied').length).toBeGreaterThan(BURST / 2);
    // The crash really happened mid-burst: some writes landed before it, the rest after.
    expect(appliedBeforeRestart).toBeLessThan(ledger.length);
  });
});
