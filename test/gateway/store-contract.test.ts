/**
 * One contract for every GatewayStore: the in-memory store the engine's unit tests run on, SQLite
 * (the native better-sqlite3 path and the TypeORM path) and PostgreSQL answer the same cases the
 * same way. A unit test on the memory store proves something about the gateway only as far as
 * the memory store behaves like the database; this suite is where that is checked.
 */
import { randomUUID } from 'node:crypto';
import type { CommandState } from '@loopgate/contracts';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { ChainVerifier } from '../../server/src/gateway/domain/audit-chain';
import type { Command } from '../../server/src/gateway/domain/command';
import { AdmissionRefusedError } from '../../server/src/gateway/domain/guardrails';
import { CommandConflictError, type GatewayStore, type OutboxRow } from '../../server/src/gateway/engine/ports';
import { GATEWAY_ENTITIES } from '../../server/src/gateway/persistence/entities';
import { TypeOrmGatewayStore } from '../../server/src/gateway/persistence/gateway-store';
import { storedCommand } from '../../server/src/gateway/testing/commands';
import { MemoryGatewayStore } from '../../server/src/gateway/testing/memory-store';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Opened {
  store: GatewayStore;
  /**
   * Another gateway process's store on the same database: the memory store itself (several engines
   * on one memory store stand for several processes), a second connection pool on PostgreSQL; none
   * on SQLite, which one process holds.
   */
  anotherProcess?: () => Promise<GatewayStore>;
}

/** Opens a TypeORM store on `db` with its own connection pool, closed after the suite. */
async function typeOrmStore(db: TestDatabase, native: boolean, migrate: boolean): Promise<TypeOrmGatewayStore> {
  const source = await new DataSource({
    ...db.options,
    entities: GATEWAY_ENTITIES,
    migrationsRun: migrate,
  } as DataSourceOptions).initialize();
  const store = new TypeOrmGatewayStore(source, Date.now, native);
  cleanups.push(async () => {
    await store.drain();
    await store.close();
    await source.destroy();
  });
  return store;
}

/** A fresh, empty store of each kind. */
const STORES: [string, () => Promise<Opened>][] = [
  [
    'memory',
    async () => {
      const store = new MemoryGatewayStore();
      return { store, anotherProcess: async () => store };
    },
  ],
  ...databaseKinds().flatMap((kind): [string, () => Promise<Opened>][] => {
    const open = (native: boolean) => async (): Promise<Opened> => {
      const db: TestDatabase = await createTestDatabase(kind, { name: 'storecontract' });
      // Registered first, so it runs after the stores are closed.
      cleanups.push(() => db.cleanup());
      const store = await typeOrmStore(db, native, true);
      return kind === 'postgres' ? { store, anotherProcess: () => typeOrmStore(db, native, false) } : { store };
    };
    return kind === 'sqlite'
      ? [
          ['SQLite (native)', open(true)],
          ['SQLite (TypeORM)', open(false)],
        ]
      : [['PostgreSQL', open(false)]];
  }),
];

const T0 = Date.parse('2026-12-04T06:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const command = (id: string, patch: Partial<Command> = {}): Command =>
  storedCommand(id, { notAfter: at(600), receivedAt: at(0), updatedAt: at(0), ...patch });

const bus = (c: Command) => ({ commandId: c.id, orderingKey: c.orderingKey, targetInstance: c.target.instance });

async function settle(commits: Promise<unknown>[]) {
  return (await Promise.allSettled(commits)).map((s) => (s.status === 'fulfilled' ? 'ok' : s.reason));
}

describe.each(STORES)('GatewayStore contract: %s', (_name, open) => {
  it('reads a command back exactly as written, by id and by request id', async () => {
    const { store } = await open();
    const written = command('c1', { value: 12.5, priorValue: 12, lineage: { inferenceId: 'i', modelId: 'm' } });
    await store.commit([{ kind: 'command', command: written }]);
    expect(await store.findCommand('c1')).toEqual(written);
    expect(await store.findCommandByRequestId('req-c1')).toEqual(written);
    expect(await store.findCommand('missing')).toBeUndefined();
    expect(await store.findCommandByRequestId('missing')).toBeUndefined();
  });

  it('refuses a second command with the same request id, and only that commit', async () => {
    const { store } = await open();
    await store.commit([{ kind: 'command', command: command('c1', { requestId: 'dup' }) }]);
    const [good, bad] = await settle([
      store.commit([{ kind: 'command', command: command('c2') }]),
      store.commit([{ kind: 'command', command: command('c3', { requestId: 'dup' }) }]),
    ]);
    expect(good).toBe('ok');
    expect(bad).toBeInstanceOf(Error);
    expect((await store.findCommandByRequestId('dup'))?.id).toBe('c1');
    expect(await store.findCommand('c3')).toBeUndefined();
  });

  it('commits a guarded change only while the stored state is the expected one; nothing of a refused commit lands', async () => {
    const { store } = await open();
    await store.commit([{ kind: 'command', command: command('c1', { state: 'pending-approval' }) }]);
    const approve = (state: CommandState) =>
      store.commit([
        { kind: 'command', command: command('c1', { state }), expectState: 'pending-approval' },
        { kind: 'audit', entry: { outcome: state === 'queued' ? 'approved' : 'rejected', actor: 'x', lineage: {} } },
        { kind: 'outbox-add', command: bus(command('c1')) },
      ]);
    await approve('queued');
    const late = (await settle([approve('rejected')]))[0];
    expect(late).toBeInstanceOf(CommandConflictError);
    expect(late).toMatchObject({ commandId: 'c1', expected: 'pending-approval', found: 'queued' });
    expect((await store.findCommand('c1'))?.state).toBe('queued');
    expect((await store.loadOutbox()).map((row) => row.commandId)).toEqual(['c1']);
  });

  it('chains audit records without a gap or a fork, in the order of the audit changes', async () => {
    const { store } = await open();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.commit([
          { kind: 'audit', entry: { outcome: 'security', actor: `a${i}`, lineage: {} } },
          { kind: 'audit', entry: { outcome: 'security', actor: `b${i}`, lineage: {} } },
        ]),
      ),
    );
    const records = results.flatMap((r) => r.audit).sort((a, b) => a.sequence - b.sequence);
    expect(records.map((r) => r.sequence)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const r of results) expect(r.audit[1].sequence).toBe(r.audit[0].sequence + 1);
    const verifier = new ChainVerifier();
    for (const record of records) verifier.next(record);
    expect(verifier.result()).toEqual({ ok: true, checked: 40 });
  });

  it('keeps the outbox in publish order; a relay step hands the oldest rows and removes them once relayed', async () => {
    const { store } = await open();
    const seen: number[] = [];
    for (const id of ['a', 'b', 'c'])
      await store.commit([
        { kind: 'command', command: command(id) },
        { kind: 'outbox-add', command: bus(command(id)), onCommitted: (seq) => seen.push(seq) },
      ]);
    expect(seen).toHaveLength(3);
    expect([...seen].sort((x, y) => x - y)).toEqual(seen);
    const handed: OutboxRow[][] = [];
    expect(await store.relayOutbox(2, async (rows) => void handed.push(rows))).toEqual({ relayed: 2, more: true });
    expect(handed[0].map((row) => row.commandId)).toEqual(['a', 'b']);
    // A relay that fails leaves its rows.
    await expect(
      store.relayOutbox(2, async () => {
        throw new Error('broker down');
      }),
    ).rejects.toThrow('broker down');
    expect((await store.loadOutbox()).map((row) => row.commandId)).toEqual(['c']);
    await store.commit([{ kind: 'outbox-remove', commandId: 'c' }]);
    expect(await store.loadOutbox()).toEqual([]);
    expect(await store.relayOutbox(5, async () => undefined)).toEqual({ relayed: 0, more: false });
  });

  it('finds commands by state, key and target as the engine asks for them', async () => {
    const { store } = await open();
    const other = {
      orderingKey: 'opc-a|recipe-parameter|R2|FeedRate',
      object: { type: 'recipe-parameter' as const, id: 'R2' },
    };
    await store.commit([
      { kind: 'command', command: command('p2', { state: 'pending-approval', receivedAt: at(20) }) },
      { kind: 'command', command: command('p1', { state: 'pending-approval', receivedAt: at(10) }) },
      { kind: 'command', command: command('q1', { state: 'queued', receivedAt: at(30) }) },
      { kind: 'command', command: command('d1', { state: 'dispatching', receivedAt: at(31), ...other }) },
      {
        kind: 'command',
        command: command('q2', { state: 'queued', target: { kind: 'opcenter', instance: 'opc-b' }, ...other }),
      },
      { kind: 'command', command: command('a1', { state: 'applied', decidedAt: at(40), receivedAt: at(1) }) },
      { kind: 'command', command: command('a2', { state: 'applied', decidedAt: at(50), receivedAt: at(2) }) },
      { kind: 'command', command: command('r1', { state: 'reverted', decidedAt: at(45), receivedAt: at(3) }) },
      { kind: 'command', command: command('f1', { state: 'failed', decidedAt: at(46), receivedAt: at(4) }) },
    ]);
    const ids = (commands: Command[]) => commands.map((c) => c.id);
    expect(ids(await store.findCommandsInState('pending-approval'))).toEqual(['p1', 'p2']);
    expect(ids(await store.findCommandsInState('pending-approval', 1))).toEqual(['p1']);
    expect(ids(await store.findPendingOnKey(command('x').orderingKey))).toEqual(['p1', 'p2']);
    expect(ids(await store.findLandedOnKey(command('x').orderingKey, 2))).toEqual(['a2', 'r1']);
    expect(Object.fromEntries(await store.countQueuedByTarget())).toEqual({ 'opc-a': 2, 'opc-b': 1 });
    expect(await store.hasQueuedOnKey(command('x').orderingKey)).toBe(true);
    expect(await store.hasQueuedOnKey('opc-a|recipe-parameter|R9|FeedRate')).toBe(false);
    expect(ids(await store.loadActiveCommands()).sort()).toEqual(['d1', 'p1', 'p2', 'q1', 'q2']);
  });

  it('stores key write states and control values, last write wins', async () => {
    const { store } = await open();
    const key = command('x').orderingKey;
    const state = { key, value: 10, commandId: 'c1', writtenAt: at(5), overriddenWith: 11, holdUntil: at(65) };
    await store.commit([
      { kind: 'key-state', state },
      { kind: 'control', key: 'paused:opc-a', value: { by: 'olivia' }, actor: 'olivia' },
    ]);
    await store.commit([{ kind: 'control', key: 'paused:opc-a', value: false, actor: 'olivia' }]);
    expect(await store.loadKeyState(key)).toEqual(state);
    expect(await store.loadKeyStates()).toEqual([state]);
    expect(await store.loadKeyState('none')).toBeUndefined();
    expect(Object.fromEntries(await store.loadControl())).toEqual({ 'paused:opc-a': false });
  });

  it('admits writes to a key against its stored times: a limit holds under concurrency, a refused commit writes nothing', async () => {
    const { store } = await open();
    const key = command('x').orderingKey;
    const accept = (n: number) =>
      store.commit([
        { kind: 'command', command: command(`w${n}`) },
        { kind: 'admit', admission: { key, time: T0 + n, limits: [{ maxWrites: 5, windowMs: 600_000 }] } },
      ]);
    const answers = await settle(Array.from({ length: 12 }, (_, n) => accept(n)));
    expect(answers.filter((a) => a === 'ok')).toHaveLength(5);
    for (const refused of answers.filter((a) => a !== 'ok')) {
      expect(refused).toBeInstanceOf(AdmissionRefusedError);
      expect((refused as AdmissionRefusedError).refusal.code).toBe('RATE_LIMITED');
    }
    const written = await Promise.all(Array.from({ length: 12 }, (_, n) => store.findCommand(`w${n}`)));
    expect(written.filter(Boolean)).toHaveLength(5);
    expect((await store.admissionState(key)).times).toHaveLength(5);
    // Once every time has left the window, the key's times are forgotten.
    expect(await store.pruneAdmissions(T0 + 600_000 + 12)).toBe(1);
    expect(await store.admissionState(key)).toEqual({ times: [] });
  });

  it('holds a key for one gateway process at a time; a waiting claim gives up when aborted', async () => {
    const { store, anotherProcess } = await open();
    // SQLite: one process holds the database, and its engine orders its own keys.
    if (!anotherProcess) return;
    const [second, third] = [await anotherProcess(), await anotherProcess()];
    const key = `opc-a|recipe-parameter|${randomUUID()}|FeedRate`;
    const first = await store.claimKey(key, new AbortController().signal);
    const order: string[] = [];
    const waiting = second.claimKey(key, new AbortController().signal).then((claim) => {
      order.push('second claimed');
      return claim;
    });
    const aborting = new AbortController();
    const abandoned = third.claimKey(key, aborting.signal);
    aborting.abort(new Error('shutting down'));
    await expect(abandoned).rejects.toThrow();
    order.push('first released');
    await first.release();
    await (await waiting).release();
    expect(order).toEqual(['first released', 'second claimed']);
  });
});
