/*
 * `npm run bench:targets`: writes per second each registered target's adapter sustains against its
 * simulator with confirmation on (lock where needed → write → release → read-back compared), and the
 * Opcenter burst (10× the MOM queue's rate offered at once). Ends with one JSON line of the figures.
 * LOOPGATE_BENCH_SECONDS sets the time per target (default 3).
 */
import 'reflect-metadata';
import type { TargetDefinition } from '../targets/adapter';
import { OpcenterAdapter } from '../targets/opcenter/adapter';
import { parseOpcenterConfig } from '../targets/opcenter/config';
import { startOpcenterSimulator } from '../targets/opcenter/simulator';
import { OpcenterTransport } from '../targets/opcenter/transport';
import { TARGET_DEFINITIONS } from '../targets/registry';
import { lockIfNeeded, readBackOf, releaseIfHeld } from '../targets/write-cycle';

interface TargetFigures {
  /** Confirmed writes per second, one ordering key, sequential as the dispatcher runs a key. */
  writesPerSecond: number;
  confirmed: number;
  notConfirmed: number;
  failed: number;
  seconds: number;
  /** The adapter's client-side limit, for comparison. */
  rateLimit: number;
  meanMsPerWrite: number;
}

interface BurstFigures {
  offered: number;
  applied: number;
  inOrder: boolean;
  throttledBySimulator: number;
  seconds: number;
  simulatorRatePerSecond: number;
  adapterRateLimit: number;
  /** The same burst sent straight to the MES without the adapter's limiter. */
  withoutLimiter: { offered: number; applied: number; acknowledged: number };
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function benchTarget(definition: TargetDefinition, seconds: number): Promise<TargetFigures> {
  const simDefinition = definition.simulator!;
  const sim = await simDefinition.start({ port: 0 });
  const adapter = definition.create(`bench-${definition.kind}`, definition.parseConfig(simDefinition.connection(sim)));
  const sample = simDefinition.sample;
  let confirmed = 0;
  let notConfirmed = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    for (let i = 0; performance.now() < deadline; i++) {
      const command = sample.write(sample.value(i), `bench-${definition.kind}-${i}`);
      try {
        const lock = await lockIfNeeded(adapter, command);
        await adapter.write({ ...command, lock });
        await releaseIfHeld(adapter, command, lock);
        const expected = readBackOf(adapter, command);
        const read = expected ? await adapter.read(expected.address) : undefined;
        if (expected && read?.value === expected.value) confirmed += 1;
        else notConfirmed += 1;
      } catch (error) {
        failed += 1;
        if (failed <= 3) log(`  ${definition.kind}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    await adapter.close();
    await sim.close();
  }
  const elapsed = (performance.now() - started) / 1000;
  const total = confirmed + notConfirmed + failed;
  return {
    writesPerSecond: round(confirmed / elapsed),
    confirmed,
    notConfirmed,
    failed,
    seconds: round(elapsed, 2),
    rateLimit: adapter.rateLimit,
    meanMsPerWrite: round(total > 0 ? (elapsed * 1000) / total : 0, 2),
  };
}

async function opcenterBurst(): Promise<BurstFigures> {
  const simulatorRatePerSecond = 20;
  const offered = simulatorRatePerSecond * 10;
  const sim = await startOpcenterSimulator({ transactionsPerSecond: simulatorRatePerSecond });
  const config = parseOpcenterConfig({
    baseUrl: sim.url,
    app: sim.app,
    clientId: sim.clientId,
    clientSecret: sim.secrets[0],
  });
  try {
    const adapter = new OpcenterAdapter('bench-burst', config);
    const values = Array.from({ length: offered }, (_, i) => 5000 + i);
    const started = performance.now();
    await Promise.all(
      values.map((value, i) =>
        adapter.write({
          action: 'set-parameter',
          object: { type: 'recipe-parameter', id: 'CNC-01/OP20' },
          parameter: 'FeedRate',
          value,
          externalRef: `burst-${i}`,
          reason: 'bench',
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    await adapter.close();
    const applied = sim.ledger().map((e) => e.value);
    const result = {
      offered,
      applied: applied.length,
      inOrder: applied.length === values.length && applied.every((v, i) => v === values[i]),
      throttledBySimulator: sim.throttledCount(),
      seconds: round(seconds, 2),
      simulatorRatePerSecond,
      adapterRateLimit: adapter.rateLimit,
    };

    sim.reset();
    const transport = new OpcenterTransport(config, 'Opcenter bench (no limiter)');
    const answers = await Promise.all(
      values.map((value) =>
        transport.command('SetProcessParameterValue', { RecipeId: 'CNC-01/OP20', Name: 'FeedRate', Value: value }),
      ),
    );
    return {
      ...result,
      withoutLimiter: {
        offered,
        applied: sim.ledger().length,
        acknowledged: answers.filter((a) => a.Succeeded).length,
      },
    };
  } finally {
    await sim.close();
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.env.LOOPGATE_BENCH_SECONDS ?? 3);
  const targets: Record<string, TargetFigures> = {};
  for (const definition of TARGET_DEFINITIONS) {
    if (!definition.simulator) continue;
    log(`${definition.kind}: ${seconds} s of confirmed writes…`);
    targets[definition.kind] = await benchTarget(definition, seconds);
    const t = targets[definition.kind];
    log(
      `  ${t.writesPerSecond} confirmed writes/s (limit ${t.rateLimit}/s), ${t.notConfirmed} not confirmed, ${t.failed} failed`,
    );
  }
  log('opcenter burst: 10x the MOM queue rate offered at once…');
  const burst = await opcenterBurst();
  log(
    `  ${burst.applied}/${burst.offered} applied in ${burst.seconds} s, in order: ${burst.inOrder}; ` +
      `without the limiter ${burst.withoutLimiter.applied}/${burst.withoutLimiter.offered} applied ` +
      `(${burst.withoutLimiter.acknowledged} acknowledged)`,
  );
  process.stdout.write(`${JSON.stringify({ bench: 'targets', seconds, targets, opcenterBurst: burst })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
