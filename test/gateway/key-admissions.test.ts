/**
 * Rate and cooldown limits judged on stored state, in the transaction that accepts a command: the
 * same cases on SQLite and PostgreSQL, with (on PostgreSQL) several stores on their own connection
 * pools standing for several gateway processes. Concurrent commits never admit more than a limit.
 */
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { AdmissionRefusedError, type AdmissionLimit } from '../../server/src/gateway/domain/guardrails';
import type { StoreChange } from '../../server/src/gateway/engine/ports';
import { TypeOrmGatewayStore } from '../../server/src/gateway/persistence/gateway-store';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';

const opened: { sources: DataSource[]; stores: TypeOrmGatewayStore[]; db: TestDatabase }[] = [];

afterAll(async () => {
  for (const { sources, stores, db } of opened.splice(0)) {
    for (const store of stores) await store.close();
    for (const source of sources) if (source.isInitialized) await source.destroy();
    await db.cleanup();
  }
});

/** `count` stores on one new database (one on SQLite, where one process holds the file). */
async function stores(kind: 'sqlite' | 'postgres', count: number): Promise<TypeOrmGatewayStore[]> {
  const db = await createTestDatabase(kind, { name: 'admissions' });
  const entry = { sources: [] as DataSource[], stores: [] as TypeOrmGatewayStore[], db };
  opened.push(entry);
  for (let i = 0; i < (kind === 'sqlite' ? 1 : count); i++) {
    const source = await new DataSource({ ...db.options, migrationsRun: i === 0 } as DataSourceOptions).initialize();
    entry.sources.push(source);
    entry.stores.push(new TypeOrmGatewayStore(source));
  }
  return entry.stores;
}

/** What intake commits when it queues a write: the audit record and the key's admission. */
function accepting(key: string, time: number, limits: AdmissionLimit[], n: number): StoreChange[] {
  return [
    { kind: 'audit', entry: { outcome: 'accepted', actor: 'token:line1', requestId: `r-${n}`, lineage: {} } },
    { kind: 'admit', admission: { key, time, limits } },
  ];
}

async function outcomes(commits: Promise<unknown>[]): Promise<{ admitted: number; refused: string[] }> {
  const settled = await Promise.allSettled(commits);
  const refused = settled.flatMap((s) => {
    if (s.status === 'fulfilled') return [];
    if (s.reason instanceof AdmissionRefusedError) return [s.reason.refusal.code];
    throw s.reason;
  });
  return { admitted: settled.length - refused.length, refused };
}

describe.each(databaseKinds())('key admissions on %s', (kind) => {
  it('admits exactly maxWrites of 150 concurrent writes to one key, refusing the rest RATE_LIMITED', async () => {
    const all = await stores(kind, 3);
    const now = Date.now();
    const limits = [{ maxWrites: 60, windowMs: 600_000 }];
    const commits = Array.from({ length: 150 }, (_, n) =>
      all[n % all.length].commit(accepting('t|recipe-parameter|R1|FeedRate', now + n, limits, n)),
    );
    const { admitted, refused } = await outcomes(commits);
    expect(admitted).toBe(60);
    expect(refused).toEqual(Array.from({ length: 90 }, () => 'RATE_LIMITED'));
    expect((await all[0].admissionState('t|recipe-parameter|R1|FeedRate')).times).toHaveLength(60);
    // Another key is counted on its own.
    await all[all.length - 1].commit(accepting('t|recipe-parameter|R2|FeedRate', now, limits, 999));
  });

  it('refuses AI writes while another process stored an override hold on the key, in the accepting transaction', async () => {
    const all = await stores(kind, 2);
    const [seer, other] = [all[0], all[all.length - 1]];
    const key = 't|recipe-parameter|R9|FeedRate';
    const now = Date.now();
    // The process that read the target saw an operator's value and stored the hold (with its audit record).
    await seer.commit([
      {
        kind: 'key-state',
        state: {
          key,
          value: 1200,
          commandId: 'c-1',
          writtenAt: new Date(now - 60_000).toISOString(),
          overriddenWith: 1150,
          holdUntil: new Date(now + 900_000).toISOString(),
        },
      },
      { kind: 'audit', entry: { outcome: 'overridden', actor: 'operator', lineage: {} } },
    ]);
    const aiWrite = (n: number, time: number): StoreChange[] => [
      { kind: 'audit', entry: { outcome: 'accepted', actor: 'token:line1', requestId: `ai-${n}`, lineage: {} } },
      { kind: 'admit', admission: { key, time, limits: [{ cooldownMs: 1 }], heldByOverride: true } },
    ];
    const refused = await other.commit(aiWrite(1, now)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(AdmissionRefusedError);
    expect((refused as AdmissionRefusedError).refusal).toMatchObject({
      code: 'OVERRIDE_HOLD',
      blockedUntil: now + 900_000,
    });
    // Nothing of the refused commit was written: no audit record, no admission.
    expect((await other.admissionState(key)).times).toEqual([]);
    // A person's write is not held; an AI write after the hold ends goes.
    await other.commit([
      { kind: 'audit', entry: { outcome: 'accepted', actor: 'olivia', requestId: 'human-1', lineage: {} } },
      { kind: 'admit', admission: { key, time: now + 1, limits: [{ cooldownMs: 1 }] } },
    ]);
    expect((await other.admissionState(key)).times).toEqual([now + 1]);
    await other.commit(aiWrite(2, now + 900_001));
    expect((await other.admissionState(key)).times).toContain(now + 900_001);
  });

  it('holds a cooldown across stores: one write per cooldown, whichever process asks', async () => {
    const all = await stores(kind, 3);
    const now = Date.now();
    const limits = [{ cooldownMs: 600_000 }];
    const commits = Array.from({ length: 30 }, (_, n) =>
      all[n % all.length].commit(accepting('t|recipe-parameter|R1|Speed', now + n, limits, n)),
    );
    const { admitted, refused } = await outcomes(commits);
    expect(admitted).toBe(1);
    expect(new Set(refused)).toEqual(new Set(['COOLDOWN']));
    // Past the cooldown the key takes a write again. Whichever of the 30 took the lock first was
    // admitted (its time is anywhere up to now + 29), so go past the cooldown of the latest one.
    await all[0].commit(accepting('t|recipe-parameter|R1|Speed', now + 30 + 600_000, limits, 100));
  });

  it('rolls back only the refused commit: its audit record is not written, its neighbours are', async () => {
    const [store] = await stores(kind, 1);
    const now = Date.now();
    const limits = [{ maxWrites: 1, windowMs: 60_000 }];
    const { admitted } = await outcomes([
      store.commit(accepting('k1', now, limits, 1)),
      store.commit(accepting('k1', now + 1, limits, 2)),
      store.commit([{ kind: 'audit', entry: { outcome: 'security', actor: 'x', lineage: {} } }]),
    ]);
    expect(admitted).toBe(2);
  });

  it("judges drift from the episode's stored baseline, whatever baseline a process read, until a person writes", async () => {
    const all = await stores(kind, 2);
    const now = Date.now();
    const limits = [{ maxDriftPercent: 15, windowMs: 3_600_000, action: 'approval' as const }];
    const step = (store: TypeOrmGatewayStore, value: number, baseline: number, n: number, endEpisode = false) =>
      store.commit([
        { kind: 'audit', entry: { outcome: 'accepted', actor: 'token:line1', requestId: `d-${n}`, lineage: {} } },
        {
          kind: 'admit',
          admission: {
            key: 'drift',
            time: now + n,
            limits: [],
            ...(endEpisode ? { endEpisode } : { drift: { value, baseline, limits } }),
          },
        },
      ]);
    await step(all[0], 950, 1000, 1);
    // The other process read 950 as its baseline; the episode started at 1000, so 840 is 16 % away.
    await expect(step(all[all.length - 1], 840, 950, 2)).rejects.toMatchObject({
      refusal: { code: 'DRIFT_BUDGET_EXCEEDED' },
    });
    expect((await all[0].admissionState('drift')).baseline?.value).toBe(1000);
    await step(all[0], 0, 0, 3, true);
    expect((await all[0].admissionState('drift')).baseline).toBeUndefined();
    await step(all[all.length - 1], 840, 950, 4);
    expect((await all[0].admissionState('drift')).baseline?.value).toBe(950);
  });

  it('forgets keys once no limit counts their writes', async () => {
    const [store] = await stores(kind, 1);
    const now = Date.now();
    await store.commit(accepting('short', now, [{ cooldownMs: 1_000 }], 1));
    await store.commit(accepting('long', now, [{ maxWrites: 5, windowMs: 3_600_000 }], 2));
    expect(await store.pruneAdmissions(now + 2_000)).toBe(1);
    expect(await store.admissionState('short')).toEqual({ times: [] });
    expect(await store.admissionState('long')).toEqual({ times: [now] });
  });
});
