/**
 * Property test (fast-check) of the stored guardrail state over interleavings across processes and
 * restarts: random bursts of concurrent writes to one key through several stores (on PostgreSQL
 * each its own connection pool, standing for a gateway process; on SQLite one), people's writes
 * that end the AI episode, and stores restarted between bursts. Whatever the interleaving:
 * no window admits more than its limit, no two admitted writes are closer than the cooldown, and
 * no AI write is admitted beyond its drift budget from the episode's stored baseline.
 */
import fc from 'fast-check';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AdmissionRefusedError,
  type AdmissionLimit,
  type DriftLimit,
} from '../../server/src/gateway/domain/guardrails';
import type { StoreChange } from '../../server/src/gateway/engine/ports';
import { TypeOrmGatewayStore } from '../../server/src/gateway/persistence/gateway-store';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';

const RUNS = Number(process.env.LOOPGATE_PROPERTY_RUNS ?? 100);
const T0 = Date.parse('2026-12-03T08:00:00.000Z');

interface Attempt {
  proc: number;
  /** Milliseconds after the burst's start (a process's clock when it builds the admission). */
  jitter: number;
  /** Percent below the value the key started at. */
  down: number;
  /** Percent off in the baseline this process read (a stale or a later read). */
  readOff: number;
}
type Step =
  | { kind: 'burst'; advance: number; attempts: Attempt[] }
  | { kind: 'person'; advance: number; proc: number }
  | { kind: 'restart'; proc: number };

const attempt: fc.Arbitrary<Attempt> = fc.record({
  proc: fc.nat(2),
  jitter: fc.nat(50),
  down: fc.integer({ min: 0, max: 30 }),
  readOff: fc.integer({ min: -5, max: 5 }),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('burst' as const),
      advance: fc.nat(4_000),
      attempts: fc.array(attempt, { minLength: 1, maxLength: 12 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('person' as const), advance: fc.nat(4_000), proc: fc.nat(2) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), proc: fc.nat(2) }) },
);
const limitsArb = fc.record({
  maxWrites: fc.integer({ min: 1, max: 6 }),
  windowMs: fc.integer({ min: 1_000, max: 20_000 }),
  cooldownMs: fc.oneof(fc.constant(0), fc.integer({ min: 50, max: 5_000 })),
  maxDriftPercent: fc.integer({ min: 2, max: 20 }),
});

/** Commits `changes`; false when the store refused the admission (the commit is then not written). */
async function admits(store: TypeOrmGatewayStore, changes: StoreChange[]): Promise<boolean> {
  try {
    await store.commit(changes);
    return true;
  } catch (error) {
    if (error instanceof AdmissionRefusedError) return false;
    throw error;
  }
}

describe.each(databaseKinds())('stored guardrail state on %s (property)', (kind) => {
  let db: TestDatabase | undefined;
  const sources: DataSource[] = [];
  afterAll(async () => {
    for (const source of sources) if (source.isInitialized) await source.destroy();
    await db?.cleanup();
  });

  async function open(first: boolean): Promise<TypeOrmGatewayStore> {
    const source = await new DataSource({ ...db!.options, migrationsRun: first } as DataSourceOptions).initialize();
    sources.push(source);
    return new TypeOrmGatewayStore(source);
  }

  it('never admits past a rate, a cooldown or a drift budget, whatever the interleaving', async () => {
    db = await createTestDatabase(kind, { name: 'admission-prop' });
    // On SQLite one process holds the file: its one store takes every "process's" commits.
    const processes = kind === 'postgres' ? 3 : 1;
    const stores: TypeOrmGatewayStore[] = [];
    for (let i = 0; i < processes; i++) stores.push(await open(i === 0));
    let run = 0;
    let n = 0;

    await fc.assert(
      fc.asyncProperty(limitsArb, fc.array(step, { minLength: 1, maxLength: 14 }), async (l, steps) => {
        run += 1;
        const key = `prop|${kind}|${run}`;
        const limits: AdmissionLimit[] = [
          { maxWrites: l.maxWrites, windowMs: l.windowMs },
          ...(l.cooldownMs > 0 ? [{ cooldownMs: l.cooldownMs }] : []),
        ];
        const drift: DriftLimit[] = [{ maxDriftPercent: l.maxDriftPercent, windowMs: 3_600_000, action: 'refuse' }];
        const accepted = (actor: string): StoreChange => ({
          kind: 'audit',
          entry: { outcome: 'accepted', actor, requestId: `prop-${++n}`, lineage: {} },
        });
        const admitted: number[] = [];
        let now = T0;
        for (const s of steps) {
          if (s.kind === 'restart') {
            const i = s.proc % stores.length;
            await stores[i].close();
            stores[i] = await open(false);
            continue;
          }
          now += s.advance;
          if (s.kind === 'person') {
            const time = now;
            const store = stores[s.proc % stores.length];
            if (
              await admits(store, [
                accepted('olivia'),
                { kind: 'admit', admission: { key, time, limits, endEpisode: true } },
              ])
            )
              admitted.push(time);
            continue;
          }
          // A burst: every attempt in flight at once, each through a store picked by the run.
          const values: number[] = [];
          await Promise.all(
            s.attempts.map(async (a) => {
              const time = now + a.jitter;
              const value = 1000 * (1 - a.down / 100);
              const baseline = 1000 * (1 + a.readOff / 100);
              const ok = await admits(stores[a.proc % stores.length], [
                accepted('token:ai'),
                { kind: 'admit', admission: { key, time, limits, drift: { value, baseline, limits: drift } } },
              ]);
              if (!ok) return;
              admitted.push(time);
              values.push(value);
            }),
          );
          // Drift: every AI write admitted in this burst is within the budget of the episode's
          // stored baseline, whichever process's read started it.
          const baseline = (await stores[0].admissionState(key)).baseline?.value;
          if (values.length > 0) {
            expect(baseline).toBeDefined();
            for (const value of values)
              expect((Math.abs(value - baseline!) / baseline!) * 100).toBeLessThanOrEqual(l.maxDriftPercent + 1e-9);
          }
        }
        // Rate and cooldown over everything admitted, in time order.
        const times = [...admitted].sort((a, b) => a - b);
        for (let i = 0; i < times.length; i++) {
          const inWindow = times.filter((t) => t > times[i] - l.windowMs && t <= times[i]).length;
          expect(inWindow).toBeLessThanOrEqual(l.maxWrites);
          if (l.cooldownMs > 0 && i > 0) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(l.cooldownMs);
        }
      }),
      { numRuns: RUNS },
    );
    for (const store of stores) await store.close();
  }, 300_000);
});
