import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../../database/data-source';
import { ChainVerifier } from '../domain/audit-chain';
import type { Command } from '../domain/command';
import { CommandConflictError } from '../engine/ports';
import { GATEWAY_ENTITIES } from './entities';
import { StoreFencedError, TypeOrmGatewayStore } from './gateway-store';
import { storedCommand } from '../testing/commands';
import { rowToAudit } from './row-mappers';

const opened: { dataSource: DataSource; dir: string }[] = [];

async function open(native: boolean): Promise<{ store: TypeOrmGatewayStore; dataSource: DataSource }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-store-'));
  const dataSource = new DataSource({ ...dataSourceOptions({ dataDir: dir }), entities: GATEWAY_ENTITIES });
  await dataSource.initialize();
  opened.push({ dataSource, dir });
  return { store: new TypeOrmGatewayStore(dataSource, Date.now, native), dataSource };
}

afterEach(async () => {
  for (const { dataSource, dir } of opened.splice(0)) {
    await dataSource.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The stored command of these cases: target `t`, request id `requestId`. */
const command = (id: string, requestId: string): Command =>
  storedCommand(id, {
    requestId,
    target: { kind: 'opcenter', instance: 't' },
    orderingKey: 't|recipe-parameter|R1|FeedRate',
  });

describe.each([
  ['native SQLite path', true],
  ['multi-row TypeORM path', false],
])('TypeOrmGatewayStore (%s)', (_name, native) => {
  it('chains concurrent appends without a fork or a gap', async () => {
    const { store, dataSource } = await open(native);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.commit([{ kind: 'audit', entry: { outcome: 'security', actor: `a${i}`, lineage: {} } }]),
      ),
    );
    expect(results.map((r) => r.audit[0].sequence).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const rows = (await dataSource.query('SELECT * FROM audit_records ORDER BY sequence')) as Record<string, unknown>[];
    const verifier = new ChainVerifier();
    for (const row of rows) verifier.next(rowToAudit(row));
    expect(verifier.result()).toEqual({ ok: true, checked: 50 });
  });

  it('reads a command back exactly as written', async () => {
    const { store } = await open(native);
    const written = command('c1', 'r1');
    await store.commit([{ kind: 'command', command: written }]);
    expect(await store.findCommandByRequestId('r1')).toEqual(written);
  });

  it('fails only the commit whose change is refused, not its neighbours in the batch', async () => {
    const { store } = await open(native);
    await store.commit([{ kind: 'command', command: command('c1', 'dup') }]);
    const [good, bad] = await Promise.allSettled([
      store.commit([{ kind: 'command', command: command('c2', 'r2') }]),
      store.commit([{ kind: 'command', command: command('c3', 'dup') }]),
    ]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(await store.findCommand('c2')).toBeDefined();
    expect(await store.findCommand('c3')).toBeUndefined();
  });

  it('keeps the outbox in publish order and runs callbacks after the commit', async () => {
    const { store } = await open(native);
    const seen: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        store.commit([
          {
            kind: 'outbox-add',
            command: { commandId: id, orderingKey: 'k', targetInstance: 't' },
            onCommitted: () => seen.push(id),
          },
        ]),
      ),
    );
    await store.commit([{ kind: 'outbox-remove', commandId: 'b' }]);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect((await store.loadOutbox()).map((row) => row.commandId)).toEqual(['a', 'c']);
  });

  it('commits a guarded command change only while the stored state is the expected one', async () => {
    const { store } = await open(native);
    const pending = { ...command('c1', 'r1'), state: 'pending-approval' as const };
    await store.commit([{ kind: 'command', command: pending }]);
    const approved = { ...pending, state: 'queued' as const };
    const rejected = { ...pending, state: 'rejected' as const };
    // Same batch: the second decision sees the first one's version.
    const [first, second] = await Promise.allSettled([
      store.commit([{ kind: 'command', command: approved, expectState: 'pending-approval' }]),
      store.commit([
        { kind: 'command', command: rejected, expectState: 'pending-approval' },
        { kind: 'audit', entry: { outcome: 'rejected', actor: 'x', lineage: {} } },
      ]),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: expect.any(CommandConflictError) });
    // A later batch: checked against the stored row.
    await expect(
      store.commit([{ kind: 'command', command: rejected, expectState: 'pending-approval' }]),
    ).rejects.toMatchObject({ found: 'queued', expected: 'pending-approval' });
    expect((await store.findCommand('c1'))?.state).toBe('queued');
    expect((await store.loadOutbox()).length).toBe(0);
  });

  it('relays the outbox in sequence order and removes rows only once relayed', async () => {
    const { store } = await open(native);
    for (const id of ['a', 'b', 'c'])
      await store.commit([{ kind: 'outbox-add', command: { commandId: id, orderingKey: 'k', targetInstance: 't' } }]);
    await expect(
      store.relayOutbox(2, async () => {
        throw new Error('broker down');
      }),
    ).rejects.toThrow('broker down');
    expect((await store.loadOutbox()).map((row) => row.commandId)).toEqual(['a', 'b', 'c']);

    const relayed: string[][] = [];
    const relay = async (rows: { commandId: string }[]) => void relayed.push(rows.map((row) => row.commandId));
    expect(await store.relayOutbox(2, relay)).toEqual({ relayed: 2, more: true });
    expect(await store.relayOutbox(2, relay)).toEqual({ relayed: 1, more: false });
    expect(relayed).toEqual([['a', 'b'], ['c']]);
    expect(await store.loadOutbox()).toEqual([]);
  });

  it('counts queued commands per target and finds them by state and key', async () => {
    const { store } = await open(native);
    const queued = command('c1', 'r1');
    const pending = { ...command('c2', 'r2'), state: 'pending-approval' as const };
    const applied = { ...command('c3', 'r3'), state: 'applied' as const };
    await store.commit([queued, pending, applied].map((c) => ({ kind: 'command' as const, command: c })));
    expect(await store.countQueuedByTarget()).toEqual(new Map([['t', 1]]));
    expect((await store.findCommandsInState('pending-approval')).map((c) => c.id)).toEqual(['c2']);
    expect(await store.hasQueuedOnKey(queued.orderingKey)).toBe(true);
    expect(await store.hasQueuedOnKey('other')).toBe(false);
    expect((await store.findPendingOnKey(pending.orderingKey)).map((c) => c.id)).toEqual(['c2']);
    expect(await store.findPendingOnKey('other')).toEqual([]);
  });

  it('writes nothing once fenced', async () => {
    const { store, dataSource } = await open(native);
    await store.fence();
    await expect(
      store.commit([{ kind: 'audit', entry: { outcome: 'security', actor: 'x', lineage: {} } }]),
    ).rejects.toBeInstanceOf(StoreFencedError);
    expect(await dataSource.query('SELECT COUNT(*) AS n FROM audit_records')).toEqual([{ n: 0 }]);
  });
});

describe('TypeOrmGatewayStore on SQLite beside another connection', () => {
  /*
   * Another connection (the WAL checkpointer's worker, a second process) holds the write lock
   * and commits while this process writes a guarded change. A deferred transaction would read
   * the guard first and then be refused SQLITE_BUSY ("database is locked") without waiting.
   */
  it('waits for the write lock instead of failing a guarded write with SQLITE_BUSY', async () => {
    const { store, dataSource } = await open(true);
    const queued = command('c1', 'r1');
    await store.commit([{ kind: 'command', command: queued }]);
    const file = (dataSource.options as { database: string }).database;
    const worker = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.module);
      const db = new Database(workerData.file);
      db.pragma('busy_timeout = 5000');
      db.exec('BEGIN IMMEDIATE');
      db.prepare("UPDATE writeback_commands SET message = 'touched' WHERE id = 'c1'").run();
      parentPort.postMessage('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      db.exec('COMMIT');
      db.close();
      parentPort.postMessage('committed');
      `,
      { eval: true, workerData: { file, module: require.resolve('better-sqlite3') } },
    );
    const messages: string[] = [];
    const committed = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: string) => {
        messages.push(message);
        if (message === 'committed') resolve();
      });
      worker.on('error', reject);
    });
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));
    const dispatching = { ...queued, state: 'dispatching' as const };
    await expect(
      store.commit([{ kind: 'command', command: dispatching, expectState: 'queued' }]),
    ).resolves.toBeDefined();
    await committed;
    await worker.terminate();
    expect(messages).toEqual(['locked', 'committed']);
    expect((await store.findCommand('c1'))?.state).toBe('dispatching');
  });
});
