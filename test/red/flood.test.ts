/**
 * A bounded body flood at the Node-RED routes before sign-in, on 127.0.0.1 only: parallel
 * oversized and deeply nested bodies to /red/auth/token, anonymous writes to /red/* and
 * /flows-http/*. Each is refused with a stable code before anything parses it, while /health
 * and write-back dispatch keep answering: their latency under the flood is compared with idle.
 */
import * as fs from 'node:fs';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import type { WriteBackList, WriteBackRequest } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE, startRedGateway, type RedGateway } from './support';

const FLOOD_MS = 5_000;
const MAX_REQUESTS = 5_000;
const SENDERS = 8;
/**
 * About 2.5 s of /health samples while the flood lasts. The first second alone (40 samples, as
 * before) weighed the flood's start, when each refused request still cost the gateway more CPU
 * (1.0-1.3 ms against 0.5-1.0 ms over the 2.5 s), rather than the flood it sustains.
 */
const HEALTH_SAMPLES = 100;
const BATCH = 20;

let gw: RedGateway;
let port: number;

interface Attack {
  name: string;
  path: string;
  /** Nesting depth, and the size the body is padded to. */
  depth: number;
  bytes: number;
  /** Sent chunked, without a Content-Length the gateway could refuse on sight. */
  chunked: boolean;
  contentType: string;
  /** A form body nesting `depth` brackets deep instead of JSON. */
  form?: boolean;
}

const MB = 1024 * 1024;
const ATTACKS: Attack[] = [
  {
    name: 'token, 8 MB declared',
    path: '/red/auth/token',
    depth: 1,
    bytes: 8 * MB,
    chunked: false,
    contentType: 'application/json',
  },
  {
    name: 'token, 2 MB chunked',
    path: '/red/auth/token',
    depth: 1,
    bytes: 2 * MB,
    chunked: true,
    contentType: 'application/json',
  },
  {
    name: 'token, 5000 deep',
    path: '/red/auth/token',
    depth: 5_000,
    bytes: 0,
    chunked: false,
    contentType: 'application/json',
  },
  {
    name: 'token, form 3000 deep',
    path: '/red/auth/token',
    depth: 3_000,
    bytes: 0,
    chunked: false,
    contentType: 'application/x-www-form-urlencoded',
    form: true,
  },
  {
    name: 'flows, 4 MB 100000 deep',
    path: '/red/flows',
    depth: 100_000,
    bytes: 4 * MB,
    chunked: true,
    contentType: 'application/json',
  },
  { name: 'nodes, 4 MB', path: '/red/nodes', depth: 1, bytes: 4 * MB, chunked: false, contentType: 'application/json' },
  {
    name: 'flows-http, 4 MB 100000 deep',
    path: '/flows-http/anything',
    depth: 100_000,
    bytes: 4 * MB,
    chunked: true,
    contentType: 'application/json',
  },
];

/** The flood, in its own process: resolves once it has started, and `done` with its counts. */
function startFlood(): Promise<{
  done: Promise<{ sent: number; answers: Record<string, Record<string, number>> }>;
  stop(): void;
}> {
  const child = fork(path.join(__dirname, 'flood-sender.cjs'), [
    String(port),
    String(FLOOD_MS),
    String(MAX_REQUESTS),
    String(SENDERS),
    JSON.stringify(ATTACKS),
  ]);
  return new Promise((resolve, reject) => {
    let finished: (value: { sent: number; answers: Record<string, Record<string, number>> }) => void;
    const done = new Promise<{ sent: number; answers: Record<string, Record<string, number>> }>((r) => (finished = r));
    child.on('message', (message: { started?: boolean; sent?: number }) => {
      if (message.started) resolve({ done, stop: () => child.send('stop') });
      else finished(message as { sent: number; answers: Record<string, Record<string, number>> });
    });
    child.once('exit', (code) => code !== 0 && reject(new Error(`flood sender exited ${code}`)));
  });
}

/** CPU time (user + system, ms) the process `pid` has used so far. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function healthLatencies(count: number, while_: () => boolean = () => true): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count && while_(); i++) {
    const started = performance.now();
    const response = await fetch(`${gw.url}/health`);
    await response.arrayBuffer();
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return times;
}

let batchSeq = 0;
/** Submits BATCH write-backs; per command the time from the POST until the outcome list shows it applied. */
async function dispatchLatencies(): Promise<number[]> {
  const batch = batchSeq++;
  // Only this batch's commands are listed (and the end of the previous one's, ignored): polling the
  // whole outcome list every 10 ms was itself a load on the gateway, and only the flood should be.
  const since = new Date(Date.now() - 1_000).toISOString();
  const started = new Map<string, number>();
  const done = new Map<string, number>();
  for (let i = 0; i < BATCH; i++) {
    const requestId = `flood-${batch}-${i}`;
    const body: WriteBackRequest = {
      requestId,
      lineage: { inferenceId: `inf-${requestId}`, modelId: 'wear-v3' },
      target: { kind: 'opcenter', instance: INSTANCE },
      object: { type: 'recipe-parameter', id: i % 2 ? 'CNC-01/OP20' : 'CNC-02/OP20' },
      action: 'set-parameter',
      parameter: 'FeedRate',
      value: 1000 + batch * BATCH + i,
      reason: 'flood test',
      notAfter: new Date(Date.now() + 120_000).toISOString(),
      initiator: 'ai',
    };
    started.set(requestId, performance.now());
    const response = await fetch(`${gw.api}/writebacks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.bootstrapToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(202);
    await response.arrayBuffer();
  }
  const deadline = Date.now() + 60_000;
  while (done.size < BATCH) {
    if (Date.now() > deadline) throw new Error(`batch ${batch}: ${done.size} of ${BATCH} applied`);
    const response = await fetch(`${gw.api}/writebacks?state=applied&since=${encodeURIComponent(since)}&limit=100`, {
      headers: { authorization: `Bearer ${gw.bootstrapToken}` },
    });
    const page = (await response.json()) as WriteBackList;
    const now = performance.now();
    for (const o of page.outcomes) if (started.has(o.requestId) && !done.has(o.requestId)) done.set(o.requestId, now);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return [...done].map(([id, at]) => at - started.get(id)!);
}

beforeAll(async () => {
  gw = await startRedGateway();
  await gw.waitForNodeRed();
  port = Number(new URL(gw.url).port);
  expect(new URL(gw.url).hostname).toBe('127.0.0.1');
}, 180_000);

afterAll(async () => gw?.close());

describe('body flood at the Node-RED routes before sign-in', () => {
  it('refuses every body with a stable code while /health and dispatch keep their pace', async () => {
    // Warm-up, then idle figures, measured as under the flood: /health sampled while a batch is dispatched.
    await healthLatencies(5);
    await dispatchLatencies();
    const [idleHealth, idleDispatch] = await Promise.all([healthLatencies(HEALTH_SAMPLES), dispatchLatencies()]);

    const cpuBefore = cpuMs(gw.pid);
    const floodStarted = Date.now();
    const flood = await startFlood();
    let running = true;
    void flood.done.then(() => (running = false));
    const [floodHealth, floodDispatch] = await Promise.all([
      healthLatencies(HEALTH_SAMPLES, () => running),
      dispatchLatencies(),
    ]);
    const floodStillRunning = running;
    flood.stop();
    const { sent, answers } = await flood.done;
    const floodMs = Date.now() - floodStarted;
    const gatewayCpu = cpuMs(gw.pid) - cpuBefore;

    console.log(
      `body flood: ${sent} requests from ${SENDERS} senders in ${floodMs} ms (gateway CPU ${gatewayCpu.toFixed(0)} ms, ` +
        `${(gatewayCpu / sent).toFixed(2)} ms a request); answers ${JSON.stringify(answers)}\n` +
        `/health p50 idle ${p50(idleHealth).toFixed(1)} ms, under flood ${p50(floodHealth).toFixed(1)} ms; ` +
        `dispatch (POST to applied) p50 idle ${p50(idleDispatch).toFixed(1)} ms, under flood ${p50(floodDispatch).toFixed(1)} ms; ` +
        `${floodHealth.length} /health samples, flood still running when they ended: ${floodStillRunning}`,
    );

    // Every answer is a refusal with its stable code (or the connection closed on a refused upload).
    const expected: Record<string, string[]> = {
      'token, 8 MB declared': ['413 BODY_TOO_LARGE', 'closed EPIPE', 'closed ECONNRESET'],
      'token, 2 MB chunked': ['413 BODY_TOO_LARGE', 'closed EPIPE', 'closed ECONNRESET'],
      'token, 5000 deep': ['400 BODY_TOO_DEEP'],
      'token, form 3000 deep': ['400 BODY_TOO_DEEP'],
      'flows, 4 MB 100000 deep': ['401 UNAUTHENTICATED', 'closed EPIPE', 'closed ECONNRESET'],
      'nodes, 4 MB': ['401 UNAUTHENTICATED', 'closed EPIPE', 'closed ECONNRESET'],
      'flows-http, 4 MB 100000 deep': ['401 UNAUTHENTICATED', 'closed EPIPE', 'closed ECONNRESET'],
    };
    for (const attack of ATTACKS) {
      const seen = Object.keys(answers[attack.name] ?? {});
      expect(seen.length, attack.name).toBeGreaterThan(0);
      for (const answer of seen) expect(expected[attack.name], `${attack.name}: ${answer}`).toContain(answer);
    }
    expect(sent).toBeGreaterThanOrEqual(ATTACKS.length * 4);
    expect(floodHealth.length).toBeGreaterThanOrEqual(10);
    // Dispatch keeps its pace within 2x of idle. /health: within 2x of idle or 5 ms above it, whichever
    // is larger: idle is about two milliseconds, where one scheduling hiccup of the shared machine is a
    // doubling (the issue saw 4 s).
    expect(p50(floodHealth)).toBeLessThanOrEqual(Math.max(2 * p50(idleHealth), p50(idleHealth) + 5));
    expect(p50(floodDispatch)).toBeLessThanOrEqual(2 * p50(idleDispatch) + 50);
    expect((await gw.health()).checks['node-red'].ok).toBe(true);
  });
});
