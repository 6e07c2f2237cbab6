/**
 * What keeps several gateway processes on one PostgreSQL database apart, with two stores on two
 * connection pools standing for two processes: one outbox relay step at a time, outbox rows in
 * commit order, ordering-key claims held per session, guarded approval transitions.
 */
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../server/src/gateway/domain/command';
import { CommandConflictError, type OutboxRow } from '../../server/src/gateway/engine/ports';
import { GATEWAY_ENTITIES } from '../../server/src/gateway/persistence/entities';
import { TypeOrmGatewayStore } from '../../server/src/gateway/persistence/gateway-store';
import { until } from '../../server/src/gateway/testing/until';
import { createTestDatabase, type TestDatabase } from '../support/databases';

let db: TestDatabase;
const sources: DataSource[] = [];
const stores: TypeOrmGatewayStore[] = [];

async function store(): Promise<TypeOrmGatewayStore> {
  const dataSource = await new DataSource({
    ...db.options,
    entities: GATEWAY_ENTITIES,
    migrationsRun: sources.length === 0,
  } as DataSourceOptions).initialize();
  sources.push(dataSource);
  const opened = new TypeOrmGatewayStore(dataSource);
  stores.push(opened);
  return opened;
}

beforeAll(async () => {
  db = await createTestDatabase('postgres', { name: 'coordination' });
});

afterAll(async () => {
  // A store's claim session is a pooled connection taken out for good: closed before its pool ends.
  for (const opened of stores.splice(0)) await opened.close();
  for (const source of sources.splice(0)) if (source.isInitialized) await source.destroy();
  await db?.cleanup();
});

const row = (id: string, key = 'k') => ({ commandId: id, orderingKey: key, targetInstance: 't' });
const settledWithin = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

async function drain(target: TypeOrmGatewayStore): Promise<string[]> {
  const relayed: string[] = [];
  for (;;) {
    const step = await target.relayOutbox(
      100,
      async (rows: OutboxRow[]) => void relayed.push(...rows.map((r) => r.commandId)),
    );
    if (step && !step.more) return relayed;
  }
}

describe('gateway processes on one PostgreSQL database', () => {
  it('lets one relay step run at a time; the next one continues from the stored rows', async () => {
    const [a, b] = [await store(), await store()];
    await a.commit(['r1', 'r2', 'r3'].map((id) => ({ kind: 'outbox-add' as const, command: row(id) })));
    await expect(
      a.relayOutbox(2, async () => {
        throw new Error('broker down');
      }),
    ).rejects.toThrow('broker down');
    expect((await a.loadOutbox()).map((r) => r.commandId)).toEqual(['r1', 'r2', 'r3']);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seenByA: string[] = [];
    const stepA = a.relayOutbox(2, async (rows) => {
      seenByA.push(...rows.map((r) => r.commandId));
      await held;
    });
    await until(() => seenByA.length === 2, 'the first relay to hold its batch');
    expect(seenByA).toEqual(['r1', 'r2']);
    let calledB = false;
    expect(
      await b.relayOutbox(10, async () => {
        calledB = true;
      }),
    ).toBeUndefined();
    expect(calledB).toBe(false);

    release();
    expect(await stepA).toEqual({ relayed: 2, more: true });
    expect(await drain(b)).toEqual(['r3']);
    expect(await a.loadOutbox()).toEqual([]);
  });

  it('gives outbox rows their sequence in commit order, so a relay running alongside never overtakes one', async () => {
    const [a, b] = [await store(), await store()];
    const relayed: string[] = [];
    let writing = true;
    const relaying = (async () => {
      while (writing) {
        await b.relayOutbox(50, async (rows) => void relayed.push(...rows.map((r) => r.commandId)));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    // Two writers, each committing outbox rows with their audit records, one transaction after the other.
    await Promise.all(
      [a, b].map(async (writer, w) => {
        for (let i = 0; i < 150; i++) {
          await writer.commit([
            { kind: 'outbox-add', command: row(`w${w}-${i}`) },
            { kind: 'audit', entry: { outcome: 'accepted', actor: 'x', commandId: `w${w}-${i}`, lineage: {} } },
          ]);
        }
      }),
    );
    writing = false;
    await relaying;
    relayed.push(...(await drain(a)));
    const audited = (
      (await sources[0].query(
        `SELECT command_id FROM audit_records WHERE outcome = 'accepted' AND command_id LIKE 'w_-%' ORDER BY sequence`,
      )) as { command_id: string }[]
    ).map((r) => r.command_id);
    expect(audited).toHaveLength(300);
    expect(relayed).toEqual(audited);
  });

  it('holds an ordering key for one session at a time, until released or the session ends', async () => {
    const [a, b] = [await store(), await store()];
    const signal = new AbortController().signal;
    const claimA = await a.claimKey('opcenter-1|recipe-parameter|R1|FeedRate', signal);
    const other = await b.claimKey('opcenter-1|recipe-parameter|R2|FeedRate', signal);
    const waiting = b.claimKey('opcenter-1|recipe-parameter|R1|FeedRate', signal);
    expect(await settledWithin(waiting, 200)).toBe(false);
    await claimA.release();
    const claimB = await waiting;

    const waitingA = a.claimKey('opcenter-1|recipe-parameter|R1|FeedRate', signal);
    expect(await settledWithin(waitingA, 200)).toBe(false);
    // The process holding it dies: its session ends, and the claim with it.
    await b.close();
    await waitingA;
    await claimB.release();
    await other.release();

    const aborted = new AbortController();
    const blocked = (await store()).claimKey('opcenter-1|recipe-parameter|R1|FeedRate', aborted.signal);
    aborted.abort(new Error('shutting down'));
    await expect(blocked).rejects.toThrow('shutting down');
  });

  it('gives the claim session back to the pool once no claim is held, so the pool can end', async () => {
    const own = await new DataSource({
      ...db.options,
      entities: GATEWAY_ENTITIES,
      migrationsRun: false,
    } as DataSourceOptions).initialize();
    const claims = new TypeOrmGatewayStore(own);
    const signal = new AbortController().signal;
    const keys = ['k1', 'k2', 'k3'];
    const held = await Promise.all(keys.map((key) => claims.claimKey(key, signal)));
    await Promise.all(held.map((claim) => claim.release()));
    expect(await settledWithin(own.destroy(), 5_000)).toBe(true);
  });

  it('lets only one of two processes move a pending approval on', async () => {
    const [a, b] = [await store(), await store()];
    const at = new Date().toISOString();
    const pending: Command = {
      id: '0199a0a0-0000-7000-8000-000000000001',
      requestId: 'approval-race',
      state: 'pending-approval',
      target: { kind: 'opcenter', instance: 't' },
      object: { type: 'material-lot', id: 'LOT-1' },
      action: 'release-lot',
      orderingKey: 't|material-lot|LOT-1|',
      reason: 'test',
      notAfter: at,
      initiator: 'ai',
      requestedBy: 'token:x',
      lineage: {},
      attempts: 0,
      receivedAt: at,
      updatedAt: at,
    };
    await a.commit([{ kind: 'command', command: pending }]);
    const results = await Promise.allSettled([
      a.commit([
        { kind: 'command', command: { ...pending, state: 'queued' }, expectState: 'pending-approval' },
        { kind: 'outbox-add', command: row(pending.id, pending.orderingKey) },
      ]),
      b.commit([{ kind: 'command', command: { ...pending, state: 'expired' }, expectState: 'pending-approval' }]),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: expect.any(CommandConflictError),
    });
    const stored = await a.findCommand(pending.id);
    expect((await a.loadOutbox()).length).toBe(stored?.state === 'queued' ? 1 : 0);
  });
});
