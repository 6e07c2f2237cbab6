/*
 * `npm run bench:bus`: the write-back path (engine → guardrails → command bus → dispatch → adapter →
 * read-back → hash-chained audit) through each command bus, in one run:
 *   - outbox on SQLite      the embedded default;
 *   - outbox on PostgreSQL  the same bus on the scaled-out database;
 *   - Kafka on PostgreSQL   the scaled-out bus (idempotent producer, one consumer-group worker).
 * For each: commands/s from request to applied (many keys in parallel), then p50/p99 request →
 * applied at a fixed offered load; first with bounds only (the baseline), then with the stored
 * guardrail state judged on every command (a rate window and a drift budget per key,
 * read and written in the accepting transaction), and the ratio of the two. Prints the figures and
 * ends with one JSON line.
 * Services: LOOPGATE_DATABASE_URL and LOOPGATE_KAFKA_BROKERS, or `scripts/services.sh up` is run.
 * Sizes: LOOPGATE_BENCH_COMMANDS, LOOPGATE_BENCH_KEYS, LOOPGATE_BENCH_RATE, LOOPGATE_BENCH_SECONDS;
 * LOOPGATE_BENCH_PATHS (comma-separated) runs only some paths.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WriteBackRequest } from '@loopgate/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';
import type { CommandBus } from '../gateway/bus/command-bus';
import { KafkaCommandBus } from '../gateway/bus/kafka';
import { OutboxBus } from '../gateway/bus/outbox-bus';
import type { Command } from '../gateway/domain/command';
import { DEFAULT_POLICY, type GuardrailPolicy } from '../gateway/domain/guardrails';
import { WriteBackEngine } from '../gateway/engine/writeback-engine';
import { GATEWAY_ENTITIES } from '../gateway/persistence/entities';
import { TypeOrmGatewayStore } from '../gateway/persistence/gateway-store';
import { FakeTarget } from '../gateway/testing/fake-target';
import { benchRequest, log, percentile, quiet, submitAll, submitAtRate } from './bench-common';

const COMMANDS = Number(process.env.LOOPGATE_BENCH_COMMANDS ?? 4_000);
const KEYS = Number(process.env.LOOPGATE_BENCH_KEYS ?? 200);
const RATE = Number(process.env.LOOPGATE_BENCH_RATE ?? 200);
const SECONDS = Number(process.env.LOOPGATE_BENCH_SECONDS ?? 8);
/** Requests outstanding at once in the throughput phase. */
const WINDOW = 1_000;

const PATHS = ['outbox-sqlite', 'outbox-postgres', 'kafka-postgres'] as const;
type PathName = (typeof PATHS)[number];

function selectedPaths(): PathName[] {
  const named = process.env.LOOPGATE_BENCH_PATHS?.split(',').map((p) => p.trim());
  if (!named?.length) return [...PATHS];
  const unknown = named.filter((p) => !(PATHS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`LOOPGATE_BENCH_PATHS: unknown ${unknown.join(', ')} (${PATHS.join(', ')})`);
  return named as PathName[];
}

interface Services {
  databaseUrl: string;
  kafkaBrokers: string[];
}

/** The services from the environment, or started by scripts/services.sh (idempotent). */
function services(): Services {
  let databaseUrl = process.env.LOOPGATE_DATABASE_URL;
  let brokers = process.env.LOOPGATE_KAFKA_BROKERS;
  if (!databaseUrl || !brokers) {
    const script = path.resolve(__dirname, '../../../scripts/services.sh');
    log('starting PostgreSQL and Kafka with scripts/services.sh (idempotent)');
    execFileSync('bash', [script, 'up', 'postgres', 'kafka'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const env = execFileSync('bash', [script, 'env', 'postgres', 'kafka'], { encoding: 'utf8' });
    databaseUrl ??= /LOOPGATE_DATABASE_URL=(\S+)/.exec(env)?.[1];
    brokers ??= /LOOPGATE_KAFKA_BROKERS=(\S+)/.exec(env)?.[1];
  }
  if (!databaseUrl || !brokers)
    throw new Error('no PostgreSQL or Kafka: set LOOPGATE_DATABASE_URL and LOOPGATE_KAFKA_BROKERS');
  return { databaseUrl, kafkaBrokers: brokers.split(',') };
}

interface Harness {
  engine: WriteBackEngine;
  done(requestId: string): Promise<Command>;
  stop(): Promise<void>;
}

/** A fresh database of the path's kind; `drop` removes it. */
async function openDatabase(
  kind: 'sqlite' | 'postgres',
  svc: Services,
): Promise<{ dataSource: DataSource; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-bench-bus-'));
    const dataSource = await new DataSource({
      ...dataSourceOptions({ dataDir }),
      entities: GATEWAY_ENTITIES,
      logging: false,
    }).initialize();
    return { dataSource, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `loopgate_bench_${randomBytes(4).toString('hex')}`;
  const admin = await new DataSource({ type: 'postgres', url: svc.databaseUrl, extra: { max: 1 } }).initialize();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(svc.databaseUrl);
  url.pathname = `/${name}`;
  const dataSource = await new DataSource({
    ...dataSourceOptions({ dataDir: os.tmpdir(), databaseUrl: url.toString() }),
    entities: GATEWAY_ENTITIES,
    logging: false,
  }).initialize();
  return {
    dataSource,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.destroy();
    },
  };
}

/** Bounds only, or the stored guardrails of a key: a rate window and a drift budget (neither ever refuses here). */
type Variant = 'bounds' | 'stored';
const LIMITS: Record<Variant, GuardrailPolicy['limits']> = {
  bounds: [{ parameter: 'FeedRate', min: 0, max: 1e9 }],
  stored: [
    {
      parameter: 'FeedRate',
      min: 0,
      max: 1e9,
      maxWrites: 1_000_000,
      windowSeconds: 600,
      maxDriftPercent: 1e12,
      driftWindowSeconds: 3600,
      baseline: 1,
    },
  ],
};

async function startHarness(pathName: PathName, svc: Services, variant: Variant): Promise<Harness> {
  const { dataSource, drop } = await openDatabase(pathName === 'outbox-sqlite' ? 'sqlite' : 'postgres', svc);
  const store = new TypeOrmGatewayStore(dataSource);
  const topic = `bench.commands.${randomBytes(4).toString('hex')}`;
  const bus: CommandBus =
    pathName === 'kafka-postgres'
      ? new KafkaCommandBus(store, {
          brokers: svc.kafkaBrokers,
          topic,
          groupId: `bench-${topic}`,
          replicationFactor: 1,
          logger: quiet,
          heartbeatIntervalMs: 1000,
          sessionTimeoutMs: 10_000,
        })
      : new OutboxBus(store, { logger: quiet });
  const target = new FakeTarget({ instance: 'bench-sim' });
  const waiting = new Map<string, (command: Command) => void>();
  const engine = new WriteBackEngine({
    store,
    bus,
    targets: [
      {
        instance: target.instance,
        kind: target.kind,
        adapter: target.connect(),
        policy: { ...DEFAULT_POLICY, limits: LIMITS[variant] },
        approvals: [],
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
    done: (requestId) => new Promise((resolve) => waiting.set(requestId, resolve)),
    stop: async () => {
      await engine.stop();
      await dataSource.destroy();
      await drop();
      if (bus instanceof KafkaCommandBus) {
        const admin = new Kafka({
          clientId: 'bench-cleanup',
          brokers: svc.kafkaBrokers,
          logLevel: logLevel.NOTHING,
        }).admin();
        await admin.connect();
        await admin
          .deleteTopics({ topics: [topic] })
          .catch((error: unknown) => log(`warn: topic ${topic} not deleted: ${(error as Error).message}`));
        await admin.disconnect();
      }
    },
  };
}

let sequence = 0;
function request(key: number): WriteBackRequest {
  sequence += 1;
  return benchRequest(`bench-bus-${sequence}-${randomBytes(3).toString('hex')}`, sequence, key);
}

async function throughput(
  pathName: PathName,
  svc: Services,
  variant: Variant,
): Promise<{ commandsPerSecond: number; applied: number; seconds: number }> {
  const h = await startHarness(pathName, svc, variant);
  try {
    const started = performance.now();
    const commands = await submitAll(h, COMMANDS, WINDOW, (i) => request(i % KEYS));
    const seconds = (performance.now() - started) / 1000;
    const applied = commands.filter((c) => c.state === 'applied').length;
    if (applied !== COMMANDS) log(`warning: ${COMMANDS - applied} commands did not apply`);
    return { commandsPerSecond: COMMANDS / seconds, applied, seconds };
  } finally {
    await h.stop();
  }
}

async function latency(
  pathName: PathName,
  svc: Services,
  variant: Variant,
): Promise<{ completed: number; p50Ms: number; p99Ms: number; maxMs: number }> {
  const h = await startHarness(pathName, svc, variant);
  try {
    // The first second warms up (consumer-group join, connections, JIT) and is not measured.
    const warmup = RATE;
    const total = warmup + RATE * SECONDS;
    const { latencies } = await submitAtRate(h, RATE, total, (i) => request(i % KEYS), warmup);
    return {
      completed: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1],
    };
  } finally {
    await h.stop();
  }
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

async function main(): Promise<void> {
  const svc = services();
  log(
    `bus bench: ${COMMANDS} commands over ${KEYS} keys; then ${RATE}/s for ${SECONDS} s (node ${process.version}, ${os.cpus().length} cpus)`,
  );
  const results: Record<string, unknown> = {};
  for (const pathName of selectedPaths()) {
    const figures: Partial<Record<Variant, Record<string, number>>> = {};
    // A pass that is not measured, so neither variant pays for the path's warm-up (JIT, connections).
    await throughput(pathName, svc, 'stored');
    for (const variant of ['bounds', 'stored'] as const) {
      const t = await throughput(pathName, svc, variant);
      const l = await latency(pathName, svc, variant);
      log(
        `${pathName.padEnd(16)} ${variant.padEnd(6)} ${t.commandsPerSecond.toFixed(0).padStart(6)} commands/s (${t.applied} applied in ${t.seconds.toFixed(2)} s); ` +
          `at ${RATE}/s: p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms (${l.completed} applied)`,
      );
      figures[variant] = {
        commandsPerSecond: Math.round(t.commandsPerSecond),
        applied: t.applied,
        p50Ms: round(l.p50Ms),
        p99Ms: round(l.p99Ms),
        maxMs: round(l.maxMs),
      };
    }
    const ratio = round(figures.stored!.commandsPerSecond / figures.bounds!.commandsPerSecond);
    log(
      `${pathName.padEnd(16)} stored guardrail state: ${ratio}× the throughput of bounds only ` +
        `(${Math.round((1 - ratio) * 100)} % cost; p99 ${figures.bounds!.p99Ms} → ${figures.stored!.p99Ms} ms)`,
    );
    results[pathName] = { ...figures, storedToBoundsThroughput: ratio };
  }
  process.stdout.write(
    `${JSON.stringify({
      bench: 'bus',
      path: 'engine → bus → dispatch → in-memory simulator with read-back → hash-chained audit; Kafka: one consumer-group worker, 12 partitions',
      commands: COMMANDS,
      keys: KEYS,
      offeredPerSecond: RATE,
      loadAverage: round(os.loadavg()[0]),
      ...results,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
