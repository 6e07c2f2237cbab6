/*
 * The path users see, for `npm run bench:gateway`: a real gateway process (`server/dist/main.js`,
 * SQLite, no Node-RED) answering `POST /api/v1/writebacks` with its service-token authentication,
 * validation and guardrails, dispatching to an unthrottled Opcenter simulator. Measures accepts
 * (request to 202) through HTTP, closed loop and at a fixed offered rate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { answer, API_PREFIX, type WriteBackRequest } from '@loopgate/contracts';
import { Agent, request as httpRequest } from 'node:http';
import { opcenterSimulatorDefinition, startOpcenterSimulator } from '../targets/opcenter/simulator';
import { percentile } from './bench-common';
import { freePort } from '../common/free-port';
import { ApiClient } from '../demo/api-client';

const MAIN = path.resolve(__dirname, '..', 'main.js');
/** The simulator's seeded recipe parameters: the keys the HTTP phase writes. */
const KEYS = ['CNC-01/OP20', 'CNC-02/OP20', 'CNC_Cell_01/OP20'].flatMap((id) =>
  ['FeedRate', 'SpindleSpeed'].map((parameter) => ({ id, parameter })),
);

export interface HttpGateway {
  url: string;
  token: string;
  /** The bootstrap admin's password (user `admin`). */
  adminPassword: string;
  close(): Promise<void>;
}

/**
 * Starts the simulator and a gateway process on it; resolves once `/health` answers 200.
 * `allowance: false` switches the per-principal request count off (the baseline for its cost).
 */
export async function startHttpGateway(options: { allowance?: boolean } = {}): Promise<HttpGateway> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const sim = await startOpcenterSimulator({ transactionsPerSecond: 1_000_000, queueDepth: 1_000_000 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-bench-http-'));
  const siteFile = path.join(dataDir, 'site.json');
  fs.writeFileSync(
    siteFile,
    JSON.stringify({
      targets: [
        {
          instance: 'bench-sim',
          kind: 'opcenter',
          connection: { ...(opcenterSimulatorDefinition.connection(sim) as object), writesPerSecond: 1000 },
          guardrails: { limits: [{ parameter: '*', min: 0, max: 1e9 }] },
        },
      ],
    }),
  );
  const token = randomBytes(24).toString('base64url');
  const adminPassword = `Bench-${randomBytes(12).toString('hex')}`;
  const port = await freePort();
  let output = '';
  // LOOPGATE_BENCH_PROFILE=<dir> writes the gateway process's CPU profile there (for `--cpu-prof`).
  const profile = process.env.LOOPGATE_BENCH_PROFILE;
  const nodeArgs = profile ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profile)] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOOPGATE_PORT: String(port),
      LOOPGATE_HOST: '127.0.0.1',
      LOOPGATE_NODE_RED: 'false',
      LOOPGATE_DATA_DIR: dataDir,
      LOOPGATE_SITE_FILE: siteFile,
      LOOPGATE_BOOTSTRAP_TOKEN: token,
      LOOPGATE_ADMIN_PASSWORD: adminPassword,
      LOOPGATE_LOG_LEVEL: 'error',
      // Every request is still counted in the store (that cost is measured); the allowance is
      // raised so the closed loop is not refused. 0 counts nothing.
      LOOPGATE_API_REQUESTS_PER_MINUTE: options.allowance === false ? '0' : '10000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await sim.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}):\n${output}`);
    const status = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return { url, token, adminPassword, close };
    if (Date.now() > deadline) {
      await close();
      throw new Error(`the gateway did not answer /health within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let sequence = 0;
function request(): WriteBackRequest {
  sequence += 1;
  const key = KEYS[sequence % KEYS.length];
  return {
    requestId: `bench-http-${process.pid}-${sequence}`,
    lineage: { inferenceId: `inf-http-${sequence}`, modelId: 'wear-v3' },
    target: { kind: 'opcenter', instance: 'bench-sim' },
    object: { type: 'recipe-parameter', id: key.id },
    action: 'set-parameter',
    parameter: key.parameter,
    value: 1000 + (sequence % 500),
    reason: 'bench',
    notAfter: new Date(Date.now() + 600_000).toISOString(),
  };
}

/** One submit through HTTP on a kept-alive connection; its latency (ms) to the 202. */
function submit(gateway: HttpGateway, agent: Agent): Promise<number> {
  return exchange(gateway, agent, 'POST', '/writebacks', JSON.stringify(request()), 202);
}

/** One API request with the service token on a kept-alive connection; its latency (ms) to the expected answer. */
function exchange(
  gateway: HttpGateway,
  agent: Agent,
  method: 'GET' | 'POST',
  route: string,
  body: string | undefined,
  expected: number,
): Promise<number> {
  const sent = performance.now();
  const headers: Record<string, string | number> = { authorization: `Bearer ${gateway.token}` };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gateway.url}${API_PREFIX}${route}`, { method, agent, headers }, (response) => {
      response.resume();
      response.on('end', () =>
        response.statusCode === expected
          ? resolve(performance.now() - sent)
          : reject(new Error(`${method} ${route} answered ${response.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What the gateway reports of itself on `/metrics` (prom-client's defaults and the queue gauge). */
export interface GatewayGauges {
  /** CPU time of the whole process so far (all its threads), seconds. */
  cpuSeconds: number;
  /** Commands accepted and not yet finished, all targets. */
  queued: number;
  /** Event-loop delay since the previous read (prom-client resets it on every read), ms. */
  lagP99Ms: number;
  lagMaxMs: number;
}

export async function gatewayGauges(gateway: HttpGateway): Promise<GatewayGauges> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    cpuSeconds: sum('loopgate_process_cpu_seconds_total'),
    queued: sum('loopgate_writeback_queue_depth'),
    lagP99Ms: sum('loopgate_nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: sum('loopgate_nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

/**
 * Stops or resumes all dispatch with the kill switch, signed in as the admin: while stopped the
 * gateway accepts and queues, so a closed loop measures intake alone.
 */
export async function switchDispatch(gateway: HttpGateway, running: boolean): Promise<void> {
  const admin = await ApiClient.signIn(gateway.url, 'admin', gateway.adminPassword);
  const body = { reason: 'bench: intake alone' };
  await answer(running ? admin.api.POST('/control/resume', { body }) : admin.api.POST('/control/stop', { body }));
}

/** Resolves once every accepted command has finished (applied or refused); the milliseconds it took. */
export async function drained(gateway: HttpGateway, timeoutMs = 180_000): Promise<number> {
  const started = performance.now();
  while ((await gatewayGauges(gateway)).queued > 0) {
    if (performance.now() - started > timeoutMs)
      throw new Error(`the gateway's queue did not drain in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return performance.now() - started;
}

/** Closed loop: `callers` clients submit `count` requests one after another; accepts per second. */
export function httpThroughput(
  gateway: HttpGateway,
  count: number,
  callers: number,
): Promise<{ requestsPerSecond: number; seconds: number; p99Ms: number }> {
  return closedLoop(count, callers, (agent) => submit(gateway, agent));
}

/**
 * The floor of the HTTP path on this machine: the same closed loop of `GET /api/v1/auth/me` with
 * the same service token, a request that is authenticated, counted against the allowance and
 * answered, and does nothing else. No write-back path can be faster than this one.
 */
export function httpAuthenticatedNoop(
  gateway: HttpGateway,
  count: number,
  callers: number,
): Promise<{ requestsPerSecond: number; seconds: number; p99Ms: number }> {
  return closedLoop(count, callers, (agent) => exchange(gateway, agent, 'GET', '/auth/me', undefined, 200));
}

async function closedLoop(
  count: number,
  callers: number,
  send: (agent: Agent) => Promise<number>,
): Promise<{ requestsPerSecond: number; seconds: number; p99Ms: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: callers, scheduling: 'fifo', timeout: 4_000 });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < count) {
        next++;
        latencies.push(await send(agent));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requestsPerSecond: count / seconds, seconds, p99Ms: percentile(latencies, 99) };
}

/** Open loop at `rate` requests per second for `seconds`: accept latency percentiles. */
export async function httpLatency(
  gateway: HttpGateway,
  rate: number,
  seconds: number,
): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; achievedRate: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256, scheduling: 'fifo', timeout: 4_000 });
  const total = rate * seconds;
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(submit(gateway, agent).then((ms) => void latencies.push(ms)));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1],
    achievedRate: total / elapsed,
  };
}
