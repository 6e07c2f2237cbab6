/** Real gateway processes (server/dist/main.js) for the scale-out tests, and their HTTP API. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  AuditRecord,
  AuditVerification,
  WriteBackList,
  WriteBackOutcome,
  WriteBackRequest,
} from '@loopgate/contracts';
import { freePort } from '../../support/ports';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const MAIN = path.join(ROOT, 'server', 'dist', 'main.js');

export const TOKEN = randomBytes(24).toString('base64url');
export const ADMIN_PASSWORD = `Adm1n-${randomBytes(12).toString('hex')}`;

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  output(): string;
}

export function assertBuilt(): void {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npx tsc -b first`);
}

/** Starts `node server/dist/main.js` with the given environment (on top of a minimal one) and waits for /health. */
export async function startGateway(port: number, env: Record<string, string>): Promise<GatewayProcess> {
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOOPGATE_PORT: String(port),
      LOOPGATE_HOST: '127.0.0.1',
      LOOPGATE_NODE_RED: 'false',
      LOOPGATE_BOOTSTRAP_TOKEN: TOKEN,
      LOOPGATE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOOPGATE_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const gateway = { child, port, output: () => output };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway on ${port} exited with ${child.exitCode}:\n${output}`);
    const status = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return gateway;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`gateway on ${port} not ready within 60 s:\n${output}`);
}

/**
 * `names.length` gateway processes on one PostgreSQL database, each with its own data folder
 * `<dir>/<name>`, started one after the other (the first runs the migrations); `env` is added to
 * each. Returns them with the environment each was started with (to restart one the same way).
 */
export async function startGatewaysOnDatabase(
  databaseUrl: string,
  dir: string,
  names: readonly string[],
  env: Record<string, string> = {},
): Promise<{ gateway: GatewayProcess; env: Record<string, string> }[]> {
  const started: { gateway: GatewayProcess; env: Record<string, string> }[] = [];
  for (const name of names) {
    const dataDir = path.join(dir, name);
    fs.mkdirSync(dataDir, { recursive: true });
    const processEnv = { LOOPGATE_DATA_DIR: dataDir, LOOPGATE_DATABASE_URL: databaseUrl, ...env };
    started.push({ gateway: await startGateway(await freePort(), processEnv), env: processEnv });
  }
  return started;
}

export async function stopGateway(
  gateway: GatewayProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const child = gateway?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

export class GatewayApi {
  private adminToken?: string;
  constructor(readonly port: number) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}/api/v1`;
  }

  async submit(body: WriteBackRequest): Promise<number> {
    const response = await fetch(`${this.base}/writebacks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  }

  async get<T>(apiPath: string, token = TOKEN): Promise<T> {
    const response = await fetch(`${this.base}${apiPath}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${apiPath}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Waits until no command is queued or dispatching. */
  async settle(timeoutMs: number, describe: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const queued = await this.get<WriteBackList>('/writebacks?state=queued&limit=1');
      const dispatching = await this.get<WriteBackList>('/writebacks?state=dispatching&limit=1');
      if (queued.outcomes.length === 0 && dispatching.outcomes.length === 0) return;
      if (Date.now() > deadline) throw new Error(`commands did not finish: ${describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async outcomes(): Promise<WriteBackOutcome[]> {
    const outcomes: WriteBackOutcome[] = [];
    let before: string | undefined;
    do {
      const page: WriteBackList = await this.get<WriteBackList>(
        `/writebacks?limit=500${before ? `&before=${before}` : ''}`,
      );
      outcomes.push(...page.outcomes);
      before = page.nextBefore;
    } while (before);
    return outcomes;
  }

  /** POSTs as the admin (a person with every permission); the status and the body. */
  async postAsAdmin<T>(apiPath: string, body: unknown = {}): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.base}${apiPath}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await this.admin()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as T };
  }

  private async admin(): Promise<string> {
    if (this.adminToken) return this.adminToken;
    const login = await fetch(`${this.base}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`admin login: ${login.status} ${await login.text()}`);
    this.adminToken = ((await login.json()) as { token: string }).token;
    return this.adminToken;
  }

  async verifyAudit(): Promise<AuditVerification> {
    return this.get<AuditVerification>('/audit/verify', await this.admin());
  }

  async audit(): Promise<AuditRecord[]> {
    const exported = await fetch(`${this.base}/audit/export?format=ndjson`, {
      headers: { authorization: `Bearer ${await this.admin()}` },
    });
    return (await exported.text())
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditRecord);
  }
}
