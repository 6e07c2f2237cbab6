/**
 * The gateway as a real process (server/dist/main.js, started as this test's user) with Node-RED
 * in its child process, an Opcenter simulator target, and two engineers: for the tests of the
 * process boundary and flow change control.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { API_PREFIX, type FlowVersion } from '@loopgate/contracts';
import { freePort } from '../../server/src/demo/stack';
import {
  opcenterSimulatorDefinition,
  startOpcenterSimulator,
  type OpcenterSimulator,
} from '../../server/src/targets/opcenter/simulator';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'server', 'dist', 'main.js');
export const INSTANCE = 'opcenter-red';
export const ENGINEER_PASSWORD = 'engineer password 1234';

export interface RedGateway {
  url: string;
  api: string;
  pid: number;
  dataDir: string;
  siteFile: string;
  adminPassword: string;
  bootstrapToken: string;
  /** The MES client secret in the site file: nothing in a flow may find it. */
  mesSecret: string;
  sim: OpcenterSimulator;
  process: ChildProcess;
  output(): string;
  adminToken(): Promise<string>;
  /** Session tokens of engineers `erin` and `ed`, created on first use. */
  engineer(name: 'erin' | 'ed'): Promise<string>;
  health(): Promise<{ status: string; checks: Record<string, { ok: boolean; message?: string }> }>;
  /** The Node-RED child's pid, read from /proc (the child of the gateway process running red-child.js). */
  childPid(): number | undefined;
  /** Deploys flows through the editor's path (POST /red/flows) as `token`; the gateway's answer. */
  deploy(token: string, flows: unknown[]): Promise<{ status: number; body: Record<string, unknown> }>;
  approve(version: number, name: 'erin' | 'ed'): Promise<Response>;
  versions(): Promise<FlowVersion[]>;
  waitForNodeRed(): Promise<void>;
  close(): Promise<void>;
}

async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function startRedGateway(site: Record<string, unknown> = {}): Promise<RedGateway> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const sim = await startOpcenterSimulator({ transactionsPerSecond: 1000, queueDepth: 1000 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-red-'));
  const siteFile = path.join(dataDir, 'site.json');
  const connection = opcenterSimulatorDefinition.connection(sim, { requestTimeoutMs: 2000 });
  fs.writeFileSync(
    siteFile,
    JSON.stringify({ targets: [{ instance: INSTANCE, kind: 'opcenter', connection }], ...site }),
  );
  const port = await freePort();
  const adminPassword = `Adm1n-${randomBytes(12).toString('hex')}`;
  const bootstrapToken = randomBytes(24).toString('base64url');
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOOPGATE_PORT: String(port),
      LOOPGATE_HOST: '127.0.0.1',
      LOOPGATE_DATA_DIR: dataDir,
      LOOPGATE_SITE_FILE: siteFile,
      LOOPGATE_BOOTSTRAP_TOKEN: bootstrapToken,
      LOOPGATE_ADMIN_PASSWORD: adminPassword,
      LOOPGATE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const api = `${url}${API_PREFIX}`;
  const tokens = new Map<string, string>();

  const login = async (username: string, password: string) => {
    const response = await fetch(`${api}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!response.ok) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { token: string }).token;
  };

  const gateway: RedGateway = {
    url,
    api,
    pid: child.pid!,
    dataDir,
    siteFile,
    adminPassword,
    bootstrapToken,
    mesSecret: String((connection as { clientSecret: string }).clientSecret),
    sim,
    process: child,
    output: () => output,
    async adminToken() {
      if (!tokens.has('admin')) tokens.set('admin', await login('admin', adminPassword));
      return tokens.get('admin')!;
    },
    async engineer(name) {
      if (!tokens.has(name)) {
        const created = await fetch(`${api}/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await gateway.adminToken()}`, 'content-type': 'application/json' },
          body: JSON.stringify({ username: name, roles: ['engineer'], password: ENGINEER_PASSWORD }),
        });
        if (created.status !== 201 && created.status !== 409)
          throw new Error(`creating ${name}: ${created.status} ${await created.text()}`);
        tokens.set(name, await login(name, ENGINEER_PASSWORD));
      }
      return tokens.get(name)!;
    },
    async health() {
      return (await (await fetch(`${url}/health`)).json()) as Awaited<ReturnType<RedGateway['health']>>;
    },
    childPid() {
      const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
      return children
        .map(Number)
        .filter(Boolean)
        .find((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('red-child'));
    },
    async deploy(token, flows) {
      const response = await fetch(`${url}/red/flows`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'node-red-api-version': 'v2',
          'node-red-deployment-type': 'full',
        },
        body: JSON.stringify({ flows }),
      });
      return { status: response.status, body: await json(response) };
    },
    async approve(version, name) {
      return fetch(`${api}/flow-versions/${version}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await gateway.engineer(name)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ password: ENGINEER_PASSWORD, meaning: 'approved' }),
      });
    },
    async versions() {
      const response = await fetch(`${api}/flow-versions`, {
        headers: { authorization: `Bearer ${await gateway.adminToken()}` },
      });
      return ((await response.json()) as { versions: FlowVersion[] }).versions;
    },
    async waitForNodeRed() {
      await waitFor(
        'Node-RED up',
        async () => {
          if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}:\n${output}`);
          const health = await gateway.health();
          return health.checks['node-red']?.ok ? true : undefined;
        },
        120_000,
      );
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await sim.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await waitFor(
    'the gateway',
    async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode}:\n${output}`);
      return (await fetch(`${url}/health`)).status === 200 ? true : undefined;
    },
    120_000,
  );
  return gateway;
}

/** Nodes of a tab `tab` with an HTTP endpoint `route` answering with what `func` puts in msg.payload. */
export function endpointFlow(tab: string, route: string, func: string, method = 'get'): Record<string, unknown>[] {
  return [
    { id: tab, type: 'tab', label: tab },
    { id: `${tab}.in`, type: 'http in', z: tab, name: `${tab} endpoint`, url: route, method, wires: [[`${tab}.fn`]] },
    { id: `${tab}.fn`, type: 'function', z: tab, name: `${tab} function`, func, outputs: 1, wires: [[`${tab}.out`]] },
    { id: `${tab}.out`, type: 'http response', z: tab, name: '', statusCode: '', headers: {}, wires: [] },
  ];
}
