/*
 * `npm run soak:keys`: the embedded gateway (engine → SQLite outbox, stored admissions and key
 * states → dispatch → a target → hash-chained audit) writing to 1,000,000 distinct keys, once each.
 * After every segment the engine is stopped and a new one started on the same database, as a
 * restart would: its start-up time, the process's memory (after a full GC) and the database size
 * are printed, so a run shows whether start-up and memory stay flat as the keys pile up in the
 * store. The target forgets a key once its write is confirmed, so what grows is the gateway's.
 * LOOPGATE_SOAK_KEYS_TOTAL (default 1,000,000) and LOOPGATE_SOAK_SEGMENTS (default 5) change it.
 * Not part of CI (about 10 minutes on two cores).
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ParameterValue, WriteBackAction } from '@loopgate/contracts';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';
import { OutboxBus } from '../gateway/bus/outbox-bus';
import { DEFAULT_POLICY } from '../gateway/domain/guardrails';
import { WriteBackEngine } from '../gateway/engine/writeback-engine';
import { GATEWAY_ENTITIES } from '../gateway/persistence/entities';
import { TypeOrmGatewayStore } from '../gateway/persistence/gateway-store';
import { WalCheckpointer } from '../gateway/persistence/wal-checkpointer';
import type { ReadResult, TargetAdapter, TargetAddress, TargetWrite, WriteResult } from '../targets/adapter';
import { benchRequest, log, quiet, SERVICE } from './bench-common';

const TOTAL = Number(process.env.LOOPGATE_SOAK_KEYS_TOTAL ?? 1_000_000);
const SEGMENTS = Number(process.env.LOOPGATE_SOAK_SEGMENTS ?? 5);
const WINDOW = 64;
const SEEDED: ParameterValue = 1000;

/**
 * A target that holds a written value only until the gateway has read it back: every key here is
 * written once, so the target's memory stays small and the process's growth is the gateway's.
 */
class ForgetfulTarget implements TargetAdapter {
  readonly kind = 'opcenter' as const;
  readonly instance = 'bench-sim';
  readonly capabilities = {
    actions: ['set-parameter'] as WriteBackAction[],
    readBack: true,
    locks: false,
    idempotentCreate: false,
  };
  readonly rateLimit = 1_000_000;
  private readonly written = new Map<string, ParameterValue>();

  async read(address: TargetAddress): Promise<ReadResult> {
    const key = `${address.object.id}|${address.parameter}`;
    const value = this.written.get(key);
    if (value !== undefined) this.written.delete(key);
    return { value: value ?? SEEDED, locked: false, audited: false };
  }

  async write(command: TargetWrite): Promise<WriteResult> {
    this.written.set(`${command.object.id}|${command.parameter}`, command.value as ParameterValue);
    return { appliedValue: command.value ?? null };
  }

  async health() {
    return { healthy: true };
  }

  async close(): Promise<void> {}
}

interface Segment {
  keys: number;
  startMs: number;
  commandsPerSecond: number;
  rssMiB: number;
  heapUsedMiB: number;
  databaseMiB: number;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

function databaseBytes(dataDir: string): number {
  return fs
    .readdirSync(dataDir)
    .filter((f) => f.startsWith('loopgate.db'))
    .reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0);
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) log('soak:keys: run with node --expose-gc for memory after a full GC');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-keys-soak-'));
  const dataSource = new DataSource({ ...dataSourceOptions({ dataDir }), entities: GATEWAY_ENTITIES, logging: false });
  await dataSource.initialize();
  const checkpointer = new WalCheckpointer(dataSource, log);
  checkpointer.start();
  const store = new TypeOrmGatewayStore(dataSource);
  const target = new ForgetfulTarget();
  const perSegment = Math.ceil(TOTAL / SEGMENTS);
  const segments: Segment[] = [];
  let sequence = 0;
  log(`soak:keys: ${TOTAL} distinct keys in ${SEGMENTS} segments, data in ${dataDir}`);

  for (let s = 0; s <= SEGMENTS; s++) {
    let applied = 0;
    let waiting: (() => void) | undefined;
    let goal = 0;
    const engine = new WriteBackEngine({
      store,
      bus: new OutboxBus(store, { logger: quiet }),
      targets: [
        {
          instance: target.instance,
          kind: target.kind,
          adapter: target,
          policy: DEFAULT_POLICY,
          approvals: [],
          shadow: false,
        },
      ],
      logger: quiet,
      overrideWatchIntervalMs: 0,
      observer: {
        finished: (command) => {
          if (command.state !== 'applied') log(`not applied: ${command.id} ${command.state} ${command.reasonCode}`);
          applied += 1;
          if (applied >= goal) waiting?.();
        },
      },
    });
    // A restart on the store as it is now: how long until the engine takes requests.
    const startAt = performance.now();
    await engine.start();
    const startMs = Math.round((performance.now() - startAt) * 10) / 10;
    gc?.();
    const memory = process.memoryUsage();
    const keys = sequence;
    if (s === SEGMENTS) {
      segments.push({
        keys,
        startMs,
        commandsPerSecond: 0,
        rssMiB: mib(memory.rss),
        heapUsedMiB: mib(memory.heapUsed),
        databaseMiB: mib(databaseBytes(dataDir)),
      });
      await engine.stop();
      break;
    }

    goal = Math.min(perSegment, TOTAL - sequence);
    const done = new Promise<void>((resolve) => (waiting = resolve));
    const began = performance.now();
    let next = 0;
    const client = async () => {
      while (next < goal) {
        next += 1;
        const n = sequence++;
        // Key n, written once: a new recipe operation per command.
        const request = benchRequest(`soak-${n}`, n, n);
        request.object = { type: 'recipe-parameter', id: `K-${n}/OP20` };
        await engine.submit(request, SERVICE);
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, client));
    await done;
    const seconds = (performance.now() - began) / 1000;
    await checkpointer.check();
    segments.push({
      keys,
      startMs,
      commandsPerSecond: Math.round(goal / seconds),
      rssMiB: mib(memory.rss),
      heapUsedMiB: mib(memory.heapUsed),
      databaseMiB: mib(databaseBytes(dataDir)),
    });
    const row = segments[segments.length - 1];
    log(
      `after ${row.keys} keys: start ${row.startMs} ms, RSS ${row.rssMiB} MiB, heap ${row.heapUsedMiB} MiB, database ${row.databaseMiB} MiB; next ${goal} keys at ${row.commandsPerSecond}/s`,
    );
    await engine.stop();
  }
  const first = segments[0];
  const last = segments[segments.length - 1];
  log(
    `after ${last.keys} keys: start ${last.startMs} ms (${(last.startMs / first.startMs).toFixed(2)}× the empty store's), ` +
      `RSS ${last.rssMiB} MiB (${(last.rssMiB / first.rssMiB).toFixed(2)}×), heap ${last.heapUsedMiB} MiB, database ${last.databaseMiB} MiB`,
  );
  await store.drain();
  await checkpointer.stop();
  await dataSource.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ soakKeys: { total: TOTAL, segments } })}\n`);
}

main().catch((error: unknown) => {
  log(`soak:keys failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
