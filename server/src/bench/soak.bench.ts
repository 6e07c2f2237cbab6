/*
 * `npm run soak:gateway`: a bounded soak of the embedded stack (engine → SQLite outbox and WAL →
 * dispatch → in-memory simulator → hash-chained audit) at a fixed offered load. Per minute it prints
 * the accept latency (p50/p99 of `submit`, request to 202) and the size of the SQLite WAL, so a run
 * shows whether both stay flat. Not part of CI. LOOPGATE_SOAK_MINUTES (default 30),
 * LOOPGATE_SOAK_RATE (commands/s, default 200) and LOOPGATE_SOAK_KEYS (default 200) change it.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source';
import { OutboxBus } from '../gateway/bus/outbox-bus';
import { DEFAULT_POLICY } from '../gateway/domain/guardrails';
import { WriteBackEngine } from '../gateway/engine/writeback-engine';
import { GATEWAY_ENTITIES } from '../gateway/persistence/entities';
import { TypeOrmGatewayStore } from '../gateway/persistence/gateway-store';
import { WalCheckpointer } from '../gateway/persistence/wal-checkpointer';
import { FakeTarget } from '../gateway/testing/fake-target';
import { benchRequest, log, percentile, quiet, SERVICE } from './bench-common';

const MINUTES = Number(process.env.LOOPGATE_SOAK_MINUTES ?? 30);
const RATE = Number(process.env.LOOPGATE_SOAK_RATE ?? 200);
const KEYS = Number(process.env.LOOPGATE_SOAK_KEYS ?? 200);
const TICK_MS = 50;

interface Minute {
  minute: number;
  accepted: number;
  applied: number;
  acceptP50Ms: number;
  acceptP99Ms: number;
  walBytes: number;
  walMaxBytes: number;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-soak-'));
  const dataSource = new DataSource({ ...dataSourceOptions({ dataDir }), entities: GATEWAY_ENTITIES, logging: false });
  await dataSource.initialize();
  const checkpointer = new WalCheckpointer(dataSource, log);
  checkpointer.start();
  const store = new TypeOrmGatewayStore(dataSource);
  const target = new FakeTarget({ instance: 'bench-sim' });
  let applied = 0;
  const engine = new WriteBackEngine({
    store,
    bus: new OutboxBus(store, { logger: quiet }),
    targets: [
      {
        instance: target.instance,
        kind: target.kind,
        adapter: target.connect(),
        policy: DEFAULT_POLICY,
        approvals: [],
        shadow: false,
      },
    ],
    logger: quiet,
    overrideWatchIntervalMs: 0,
    observer: { finished: (command) => void (command.state === 'applied' && (applied += 1)) },
  });
  await engine.start();

  const minutes: Minute[] = [];
  const perTick = (RATE * TICK_MS) / 1000;
  let sequence = 0;
  let owed = 0;
  let latencies: number[] = [];
  let walMax = 0;
  let appliedBefore = 0;
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  log(`soak: ${RATE} commands/s on ${KEYS} keys for ${MINUTES} min, data in ${dataDir}`);
  for (let minute = 1; minute <= MINUTES; minute++) {
    const end = started + minute * 60_000;
    while (performance.now() < end) {
      owed += perTick;
      for (; owed >= 1; owed -= 1) {
        const n = sequence++;
        const at = performance.now();
        const submitted = engine
          .submit(benchRequest(randomUUID(), n, n % KEYS), SERVICE)
          .then(() => void latencies.push(performance.now() - at))
          .finally(() => inFlight.delete(submitted));
        inFlight.add(submitted);
      }
      await checkpointer.check();
      walMax = Math.max(walMax, checkpointer.bytes);
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    latencies.sort((a, b) => a - b);
    const row: Minute = {
      minute,
      accepted: latencies.length,
      applied: applied - appliedBefore,
      acceptP50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
      acceptP99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
      walBytes: checkpointer.bytes,
      walMaxBytes: walMax,
    };
    minutes.push(row);
    log(
      `minute ${minute}: accepted ${row.accepted}, applied ${row.applied}, accept p50 ${row.acceptP50Ms} ms p99 ${row.acceptP99Ms} ms, WAL ${row.walBytes} B (max ${row.walMaxBytes} B)`,
    );
    latencies = [];
    walMax = 0;
    appliedBefore = applied;
  }
  await Promise.all(inFlight);
  await engine.stop();
  await store.drain();
  await checkpointer.stop();
  await dataSource.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ soak: { rate: RATE, keys: KEYS, minutes } })}\n`);
}

main().catch((error: unknown) => {
  log(`soak failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
