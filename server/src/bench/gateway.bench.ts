/*
 * `npm run bench:gateway`: the embedded write-back path (engine → guardrails → SQLite outbox →
 * per-key dispatch → adapter → read-back → hash-chained audit, all group-committed in SQLite WAL)
 * into an unthrottled in-memory simulator.
 *   1. throughput: commands per second from request to applied, many keys in parallel;
 *   2. latency: p50/p99 from request to applied at a fixed offered load (default 500/s).
 * Then the path users see, as the baseline's counterpart in the same run: a gateway process behind
 * HTTP (service-token authentication, validation, guardrails) into an unthrottled Opcenter simulator:
 *   3. accepts per second through HTTP (closed loop, 64 callers), and its ratio to (1); then the
 *      time until all of them are applied, and the gateway's CPU per command (from its /metrics);
 *      The same closed loop with dispatch stopped (the kill switch): intake alone; and the floor of
 *      the HTTP path on this machine, an authenticated request that does nothing (`GET /auth/me`);
 *   4. accept latency (request to 202) at the same offered load, begun with an empty queue, with
 *      the gateway's own event-loop delay over the same seconds;
 *   5. (3) again on a gateway that does not count requests against the caller's allowance, for
 *      the cost of that stored count.
 * Prints the figures and ends with one JSON line. LOOPGATE_BENCH_COMMANDS, LOOPGATE_BENCH_KEYS,
 * LOOPGATE_BENCH_RATE and LOOPGATE_BENCH_SECONDS change the sizes.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WriteBackRequest } from '@loopgate/contracts';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';
import { OutboxBus } from '../gateway/bus/outbox-bus';
import { DEFAULT_POLICY } from '../gateway/domain/guardrails';
import type { Command } from '../gateway/domain/command';
import { WriteBackEngine } from '../gateway/engine/writeback-engine';
import { GATEWAY_ENTITIES } from '../gateway/persistence/entities';
import { TypeOrmGatewayStore } from '../gateway/persistence/gateway-store';
import { WalCheckpointer } from '../gateway/persistence/wal-checkpointer';
import { FakeTarget } from '../gateway/testing/fake-target';
import { benchRequest, log, percentile, quiet, submitAll, submitAtRate } from './bench-common';
import {
  drained,
  gatewayGauges,
  httpAuthenticatedNoop,
  httpLatency,
  httpThroughput,
  startHttpGateway,
  switchDispatch,
  type HttpGateway,
} from './http-path';

const COMMANDS = Number(process.env.LOOPGATE_BENCH_COMMANDS ?? 20_000);
const KEYS = Number(process.env.LOOPGATE_BENCH_KEYS ?? 200);
const RATE = Number(process.env.LOOPGATE_BENCH_RATE ?? 500);
const SECONDS = Number(process.env.LOOPGATE_BENCH_SECONDS ?? 10);
const HTTP_REQUESTS = Number(process.env.LOOPGATE_BENCH_HTTP_REQUESTS ?? 5_000);
const HTTP_CALLERS = 64;
/** Requests outstanding at once in the throughput phase (callers waiting for their 202). */
const WINDOW = 2_000;

interface Harness {
  engine: WriteBackEngine;
  checkpointer: WalCheckpointer;
  target: FakeTarget;
  dataSource: DataSource;
  dataDir: string;
  /** Resolves when the command with this request id reaches a terminal state. */
  done(requestId: string): Promise<Command>;
}

async function startHarness(): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-bench-'));
  const dataSource = new DataSource({ ...dataSourceOptions({ dataDir }), entities: GATEWAY_ENTITIES, logging: false });
  await dataSource.initialize();
  const checkpointer = new WalCheckpointer(dataSource, log);
  checkpointer.start();
  const store = new TypeOrmGatewayStore(dataSource);
  const target = new FakeTarget({ instance: 'bench-sim' });
  const waiting = new Map<string, (command: Command) => void>();
  const engine = new WriteBackEngine({
    store,
    bus: new OutboxBus(store, { logger: quiet }),
    targets: [
      {
        instance: target.instance,
        kind: target.kind,
        adapter: target.connect(),
        policy: { ...DEFAULT_POLICY, limits: [{ parameter: 'FeedRate', min: 0, max: 1e9 }] },
        approvals: [{ name: 'lot release', actions: ['release-lot'], requiresQuality: true }],
        shadow: false,
      },
    ],
    logger: quiet,
    observer: {
      finished: (command) => {
        waiting.get(command.requestId)?.(command);
        waiting.delete(command.requestId);
      },
    },
  });
  await engine.start();
  return {
    engine,
    checkpointer,
    target,
    dataSource,
    dataDir,
    done: (requestId) => new Promise((resolve) => waiting.set(requestId, resolve)),
  };
}

async function stopHarness(h: Harness): Promise<void> {
  await h.engine.stop();
  await h.checkpointer.stop();
  await h.dataSource.destroy();
  fs.rmSync(h.dataDir, { recursive: true, force: true });
}

let sequence = 0;
function request(key: number): WriteBackRequest {
  sequence += 1;
  return benchRequest(`bench-${sequence}`, sequence, key);
}

async function throughput(): Promise<{
  commandsPerSecond: number;
  applied: number;
  seconds: number;
  cpuMsPerCommand: number;
}> {
  const h = await startHarness();
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const commands = await submitAll(h, COMMANDS, WINDOW, (i) => request(i % KEYS));
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const applied = commands.filter((c) => c.state === 'applied').length;
    if (applied !== COMMANDS) log(`warning: ${COMMANDS - applied} commands did not apply`);
    // CPU time per command: the figure that does not depend on what else the machine runs.
    return {
      commandsPerSecond: COMMANDS / seconds,
      applied,
      seconds,
      cpuMsPerCommand: (used.user + used.system) / 1000 / COMMANDS,
    };
  } finally {
    await stopHarness(h);
  }
}

async function latency(): Promise<{
  offered: number;
  completed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  achievedRate: number;
}> {
  const h = await startHarness();
  try {
    const total = RATE * SECONDS;
    const { latencies, seconds: elapsed } = await submitAtRate(h, RATE, total, (i) => request(i % KEYS));
    return {
      offered: RATE,
      completed: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1],
      achievedRate: total / elapsed,
    };
  } finally {
    await stopHarness(h);
  }
}

interface HttpPhase {
  acceptsPerSecond: number;
  p99Ms: number;
  /** From the first request to the last command applied. */
  seconds: number;
  appliedPerSecond: number;
  /** The gateway process's CPU per command, intake and dispatch. */
  cpuMsPerCommand: number;
}

/** The closed loop through HTTP, then until the gateway has dispatched all it accepted. */
async function httpPhase(gateway: HttpGateway): Promise<HttpPhase> {
  await drained(gateway);
  const before = await gatewayGauges(gateway);
  const accepted = await httpThroughput(gateway, HTTP_REQUESTS, HTTP_CALLERS);
  const drainMs = await drained(gateway);
  const after = await gatewayGauges(gateway);
  const seconds = accepted.seconds + drainMs / 1000;
  return {
    acceptsPerSecond: accepted.requestsPerSecond,
    p99Ms: accepted.p99Ms,
    seconds,
    appliedPerSecond: HTTP_REQUESTS / seconds,
    cpuMsPerCommand: ((after.cpuSeconds - before.cpuSeconds) * 1000) / HTTP_REQUESTS,
  };
}

/** The closed loop with the kill switch pressed: accepted and queued, nothing dispatched until resumed. */
async function intakeAlone(
  gateway: HttpGateway,
): Promise<{ acceptsPerSecond: number; p99Ms: number; cpuMsPerAccept: number }> {
  await switchDispatch(gateway, false);
  const before = await gatewayGauges(gateway);
  const accepted = await httpThroughput(gateway, HTTP_REQUESTS, HTTP_CALLERS);
  const after = await gatewayGauges(gateway);
  await switchDispatch(gateway, true);
  await drained(gateway);
  return {
    acceptsPerSecond: accepted.requestsPerSecond,
    p99Ms: accepted.p99Ms,
    cpuMsPerAccept: ((after.cpuSeconds - before.cpuSeconds) * 1000) / HTTP_REQUESTS,
  };
}

async function main(): Promise<void> {
  log(
    `gateway bench: ${COMMANDS} commands over ${KEYS} keys; then ${RATE}/s for ${SECONDS} s (node ${process.version}, ${os.cpus().length} cpus)`,
  );
  const t = await throughput();
  log(
    `throughput: ${t.commandsPerSecond.toFixed(0)} commands/s (${t.applied} applied in ${t.seconds.toFixed(2)} s, ${t.cpuMsPerCommand.toFixed(3)} ms CPU per command, load ${os.loadavg()[0].toFixed(1)})`,
  );
  const l = await latency();
  log(
    `latency at ${l.offered}/s: p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms (${l.completed} applied, ${l.achievedRate.toFixed(0)}/s offered)`,
  );
  const gateway = await startHttpGateway();
  let http: HttpPhase;
  let intake: Awaited<ReturnType<typeof intakeAlone>>;
  let noop: Awaited<ReturnType<typeof httpAuthenticatedNoop>>;
  let httpAtRate: Awaited<ReturnType<typeof httpLatency>> & { lagP99Ms: number; cpuMsPerRequest: number };
  try {
    http = await httpPhase(gateway);
    log(
      `through HTTP: ${http.acceptsPerSecond.toFixed(0)} accepts/s (${HTTP_REQUESTS} requests, ${HTTP_CALLERS} callers, p99 ${http.p99Ms.toFixed(1)} ms); ` +
        `${(http.acceptsPerSecond / t.commandsPerSecond).toFixed(2)}× the engine-only path; ` +
        `all applied after ${http.seconds.toFixed(2)} s: ${http.appliedPerSecond.toFixed(0)} commands/s from request to applied; ` +
        `gateway CPU ${http.cpuMsPerCommand.toFixed(3)} ms per command (intake and dispatch, all its threads)`,
    );
    intake = await intakeAlone(gateway);
    log(
      `through HTTP with dispatch stopped (intake alone): ${intake.acceptsPerSecond.toFixed(0)} accepts/s (p99 ${intake.p99Ms.toFixed(1)} ms), ` +
        `gateway CPU ${intake.cpuMsPerAccept.toFixed(3)} ms per accept`,
    );
    noop = await httpAuthenticatedNoop(gateway, HTTP_REQUESTS, HTTP_CALLERS);
    log(
      `the floor of the HTTP path, an authenticated GET /auth/me that does nothing else: ${noop.requestsPerSecond.toFixed(0)} requests/s ` +
        `(p99 ${noop.p99Ms.toFixed(1)} ms); intake alone is ${(intake.acceptsPerSecond / noop.requestsPerSecond).toFixed(2)}× of it`,
    );
    const before = await gatewayGauges(gateway); // also starts the event-loop lag window afresh
    const latencies = await httpLatency(gateway, RATE, SECONDS);
    const after = await gatewayGauges(gateway);
    await drained(gateway);
    httpAtRate = {
      ...latencies,
      lagP99Ms: after.lagP99Ms,
      cpuMsPerRequest: ((after.cpuSeconds - before.cpuSeconds) * 1000) / (RATE * SECONDS),
    };
    log(
      `through HTTP at ${RATE}/s: accept p50 ${httpAtRate.p50Ms.toFixed(2)} ms, p99 ${httpAtRate.p99Ms.toFixed(2)} ms, max ${httpAtRate.maxMs.toFixed(2)} ms ` +
        `(${httpAtRate.achievedRate.toFixed(0)}/s offered; the gateway's event-loop delay p99 ${httpAtRate.lagP99Ms.toFixed(1)} ms, ` +
        `its CPU ${httpAtRate.cpuMsPerRequest.toFixed(3)} ms per request)`,
    );
  } finally {
    await gateway.close();
  }
  const uncounted = await startHttpGateway({ allowance: false });
  let httpUncounted: HttpPhase;
  try {
    httpUncounted = await httpPhase(uncounted);
    log(
      `through HTTP without the request allowance: ${httpUncounted.acceptsPerSecond.toFixed(0)} accepts/s (p99 ${httpUncounted.p99Ms.toFixed(1)} ms), ` +
        `gateway CPU ${httpUncounted.cpuMsPerCommand.toFixed(3)} ms per command; ` +
        `with the allowance counted the path runs at ${(http.acceptsPerSecond / httpUncounted.acceptsPerSecond).toFixed(2)}× this throughput`,
    );
  } finally {
    await uncounted.close();
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'gateway',
      path: 'embedded engine, SQLite WAL outbox + audit, in-memory simulator with read-back',
      commands: COMMANDS,
      keys: KEYS,
      commandsPerSecond: Math.round(t.commandsPerSecond),
      cpuMsPerCommand: Number(t.cpuMsPerCommand.toFixed(3)),
      loadAverage: Number(os.loadavg()[0].toFixed(2)),
      offeredPerSecond: l.offered,
      p50Ms: Number(l.p50Ms.toFixed(2)),
      p99Ms: Number(l.p99Ms.toFixed(2)),
      maxMs: Number(l.maxMs.toFixed(2)),
      http: {
        path: 'gateway process: HTTP, service token, validation, guardrails, SQLite; Opcenter simulator',
        acceptsPerSecond: Math.round(http.acceptsPerSecond),
        ratioToEngine: Number((http.acceptsPerSecond / t.commandsPerSecond).toFixed(2)),
        appliedPerSecond: Math.round(http.appliedPerSecond),
        gatewayCpuMsPerCommand: Number(http.cpuMsPerCommand.toFixed(3)),
        intakeAcceptsPerSecond: Math.round(intake.acceptsPerSecond),
        intakeCpuMsPerAccept: Number(intake.cpuMsPerAccept.toFixed(3)),
        authenticatedNoopPerSecond: Math.round(noop.requestsPerSecond),
        intakeRatioToNoop: Number((intake.acceptsPerSecond / noop.requestsPerSecond).toFixed(2)),
        acceptP50MsAtRate: Number(httpAtRate.p50Ms.toFixed(2)),
        acceptP99MsAtRate: Number(httpAtRate.p99Ms.toFixed(2)),
        eventLoopLagP99MsAtRate: Number(httpAtRate.lagP99Ms.toFixed(1)),
        acceptsPerSecondWithoutAllowance: Math.round(httpUncounted.acceptsPerSecond),
        ratioToWithoutAllowance: Number((http.acceptsPerSecond / httpUncounted.acceptsPerSecond).toFixed(2)),
      },
      goals: { commandsPerSecond: 5000, p99Ms: 25, httpAcceptsPerSecond: 2000, httpAcceptP99MsAt500: 25 },
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
