import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TargetAddress, TargetWrite } from '../adapter';
import { lockScopeOf, writeAsGateway } from '../write-cycle';
import { describeTargetContract, expectNoSecrets, failureOf, harnessFromDefinition } from '../contract-suite';
import { TargetConfigError } from '../target-config';
import { FactoryTalkAdapter } from './adapter';
import { parseFactoryTalkConfig, type FactoryTalkConfig } from './config';
import { factoryTalkTarget } from './index';
import { startFactoryTalkSimulator, type FactoryTalkSimulator } from './simulator';

describeTargetContract('factorytalk', () => harnessFromDefinition(factoryTalkTarget));

const IN_PROGRESS: TargetAddress = { object: { type: 'work-order', id: 'WO-2001' }, parameter: 'workCenter' };
const RECIPE: TargetAddress = { object: { type: 'recipe-parameter', id: 'RCP-CNC-01' }, parameter: 'FeedRate' };

const reroute = (workCenter: string, externalRef: string, id = 'WO-2001'): TargetWrite => ({
  action: 'reroute-work-order',
  object: { type: 'work-order', id },
  details: { workCenter },
  externalRef,
  reason: 'test',
});

function configFor(sim: FactoryTalkSimulator, overrides: Record<string, unknown> = {}): FactoryTalkConfig {
  return parseFactoryTalkConfig({
    baseUrl: sim.url,
    username: sim.username,
    password: sim.secrets[0],
    requestTimeoutMs: 2000,
    writesPerSecond: 200,
    ...overrides,
  });
}

describe('FactoryTalk locks', () => {
  let sim: FactoryTalkSimulator;
  let adapter: FactoryTalkAdapter;
  beforeAll(async () => {
    sim = await startFactoryTalkSimulator({ maxLockTtlMs: 5_000 });
    adapter = new FactoryTalkAdapter('ft-test', configFor(sim));
  });
  afterAll(async () => {
    await adapter.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  it('refuses to modify an in-progress work order without a lock', async () => {
    const failure = await failureOf(adapter.write(reroute('CELL-A', 'no-lock')));
    expect(failure).toMatchObject({ kind: 'locked', code: 'LOCK_REQUIRED' });
    expect(sim.ledger()).toHaveLength(0);
  });

  it('modifies a work order that is not in progress without a lock', async () => {
    await adapter.write(reroute('CELL-C', 'released', 'WO-2002'));
    expect((await adapter.read({ object: { type: 'work-order', id: 'WO-2002' }, parameter: 'workCenter' })).value).toBe(
      'CELL-C',
    );
  });

  it('acquires a lock with a token and an expiry, modifies under it and releases it', async () => {
    const lock = await adapter.acquireLock(IN_PROGRESS);
    expect(lock.token).toMatch(/\S{8,}/);
    expect(lock.expiresAt).toBeGreaterThan(Date.now());
    expect(lock.expiresAt).toBeLessThanOrEqual(Date.now() + 5_000);
    await adapter.write({ ...reroute('CELL-A', 'locked-write'), lock });
    await adapter.releaseLock(IN_PROGRESS, lock);
    expect(sim.store.find('WO-2001')?.lock).toBeUndefined();
    expect(sim.ledger()).toEqual([
      expect.objectContaining({ object: 'WO-2001', value: 'CELL-A', externalRef: 'locked-write' }),
    ]);
  });

  it('does not report the record as locked to the holder of the lock', async () => {
    const lock = await adapter.acquireLock(IN_PROGRESS);
    expect((await adapter.read(IN_PROGRESS)).locked).toBe(false);
    await adapter.releaseLock(IN_PROGRESS, lock);
  });

  it('answers locked when the operator console holds the lock', async () => {
    sim.lock('WO-2001', 'operator-console');
    const failure = await failureOf(adapter.acquireLock(IN_PROGRESS));
    expect(failure).toMatchObject({ kind: 'locked', code: 'LOCKED_BY_OTHER' });
    expect(failure.message).toContain('operator-console');
  });

  it('fails clearly when the lock expired at the server in the middle of the operation', async () => {
    const lock = await adapter.acquireLock(IN_PROGRESS);
    sim.expireLocks();
    const failure = await failureOf(adapter.write({ ...reroute('CELL-A', 'expired'), lock }));
    expect(failure).toMatchObject({ kind: 'locked', code: 'LOCK_EXPIRED' });
    expect(failure.message).toMatch(/expired/);
    expect(sim.ledger()).toHaveLength(0);
  });

  it('refuses a lock that already expired locally without sending the change', async () => {
    const lock = await adapter.acquireLock(IN_PROGRESS);
    const before = sim.requestCount();
    const failure = await failureOf(
      adapter.write({ ...reroute('CELL-A', 'stale'), lock: { ...lock, expiresAt: Date.now() - 1 } }),
    );
    expect(failure).toMatchObject({ kind: 'locked', code: 'LOCK_EXPIRED' });
    expect(sim.requestCount()).toBe(before);
  });

  it('lets a lock expire on its own after the granted time', async () => {
    let serverNow = Date.now();
    const shortLived = await startFactoryTalkSimulator({ maxLockTtlMs: 150, now: () => serverNow });
    const client = new FactoryTalkAdapter('ft-short', configFor(shortLived));
    try {
      const lock = await client.acquireLock(IN_PROGRESS);
      expect(lock.expiresAt - serverNow).toBeLessThanOrEqual(150);
      // The server's clock passes the granted time.
      serverNow += 250;
      // Sent as if the local clock were behind: the server's expiry decides.
      const failure = await failureOf(
        client.write({ ...reroute('CELL-A', 'late'), lock: { ...lock, expiresAt: Date.now() + 60_000 } }),
      );
      expect(failure).toMatchObject({ kind: 'locked', code: 'LOCK_EXPIRED' });
      const fresh = await client.acquireLock(IN_PROGRESS);
      await client.write({ ...reroute('CELL-A', 'after-reacquire'), lock: fresh });
      expect(shortLived.ledger().map((e) => e.externalRef)).toEqual(['after-reacquire']);
    } finally {
      await client.close();
      await shortLived.close();
    }
  });

  it('refuses a forged lock token', async () => {
    const failure = await failureOf(
      adapter.write({ ...reroute('CELL-A', 'forged'), lock: { token: 'forged', expiresAt: Date.now() + 10_000 } }),
    );
    expect(failure).toMatchObject({ kind: 'locked', code: 'LOCK_INVALID' });
  });
});

describe('FactoryTalk lock scope and holders', () => {
  let sim: FactoryTalkSimulator;
  let adapter: FactoryTalkAdapter;
  beforeAll(async () => {
    sim = await startFactoryTalkSimulator({ maxLockTtlMs: 5_000 });
    adapter = new FactoryTalkAdapter('ft-scope', configFor(sim), Date.now, 'process-a');
  });
  afterAll(async () => {
    await adapter.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  const setParameter = (parameter: string, value: number, externalRef: string): TargetWrite => ({
    action: 'set-parameter',
    object: RECIPE.object,
    parameter,
    value,
    externalRef,
    reason: 'test',
  });

  it('declares the whole recipe or work order as its lock scope', () => {
    expect(adapter.capabilities.lockScope).toBe('object');
    const feed = lockScopeOf(adapter, RECIPE);
    expect(lockScopeOf(adapter, { ...RECIPE, parameter: 'SpindleSpeed' })).toBe(feed);
    expect(lockScopeOf(adapter, IN_PROGRESS)).not.toBe(feed);
  });

  it('holds locks under one holder id per gateway process, not one shared name', async () => {
    const other = new FactoryTalkAdapter('ft-scope', configFor(sim), Date.now, 'process-b');
    expect(other.holder).not.toBe(adapter.holder);
    const lock = await adapter.acquireLock(RECIPE);
    const failure = await failureOf(other.acquireLock(RECIPE));
    await adapter.releaseLock(RECIPE, lock);
    await other.close();
    expect(failure).toMatchObject({ kind: 'locked', code: 'LOCKED_BY_OTHER', heldBy: adapter.holder });
  });

  it('names the operator console as the holder of a lock it holds', async () => {
    sim.lock('RCP-CNC-01', 'operator-console');
    const failure = await failureOf(adapter.acquireLock(RECIPE));
    expect(failure).toMatchObject({ kind: 'locked', heldBy: 'operator-console' });
  });

  it('lets writes of one process to two parameters of one recipe take turns: 100 writes, none contend', async () => {
    const writes = Array.from({ length: 100 }, (_, i) =>
      writeAsGateway(adapter, setParameter(i % 2 ? 'SpindleSpeed' : 'FeedRate', 1000 + i, `w-${i}`)),
    );
    const results = await Promise.allSettled(writes);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(sim.ledger()).toHaveLength(100);
    expect(sim.store.find('RCP-CNC-01')?.lock).toBeUndefined();
  });

  it('expires a lock between acquire and change at lockExpiryRate 1', async () => {
    sim.faults.set({ lockExpiryRate: 1 });
    const failure = await failureOf(writeAsGateway(adapter, setParameter('FeedRate', 1111, 'expiring')));
    expect(failure).toMatchObject({ kind: 'locked', code: 'LOCK_EXPIRED' });
    expect(sim.ledger()).toHaveLength(0);
  });
});

describe('FactoryTalk recipe parameters and work orders', () => {
  let sim: FactoryTalkSimulator;
  let adapter: FactoryTalkAdapter;
  beforeAll(async () => {
    sim = await startFactoryTalkSimulator();
    adapter = new FactoryTalkAdapter('ft-recipes', configFor(sim));
  });
  afterAll(async () => {
    await adapter.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  it('sets a recipe parameter under the recipe lock, confirmed by read-back', async () => {
    expect((await adapter.read(RECIPE)).value).toBe(1200);
    const lock = await adapter.acquireLock(RECIPE);
    const result = await adapter.write({
      action: 'set-parameter',
      ...RECIPE,
      value: 1180,
      externalRef: 'feed',
      reason: 'tool wear',
      lock,
    });
    await adapter.releaseLock(RECIPE, lock);
    expect(result.mesTransactionId).toMatch(/^FT-/);
    expect((await adapter.read(RECIPE)).value).toBe(1180);
  });

  it('rejects a recipe value of the wrong type', async () => {
    const lock = await adapter.acquireLock(RECIPE);
    const failure = await failureOf(
      adapter.write({ action: 'set-parameter', ...RECIPE, value: 'fast', externalRef: 'bad', reason: 'x', lock }),
    );
    await adapter.releaseLock(RECIPE, lock);
    expect(failure).toMatchObject({ kind: 'rejected', code: 'MES_INVALID_VALUE' });
  });

  it('updates a work order status under its lock', async () => {
    const address: TargetAddress = { object: { type: 'work-order', id: 'WO-2003' }, parameter: 'status' };
    const lock = await adapter.acquireLock(address);
    const command: TargetWrite = {
      action: 'update-work-order-status',
      object: address.object,
      value: 'OnHold',
      externalRef: 's',
      reason: 'x',
      lock,
    };
    await adapter.write(command);
    await adapter.releaseLock(address, lock);
    expect(adapter.expectedAfter(command)).toEqual({ address, value: 'OnHold' });
    expect((await adapter.read(address)).value).toBe('OnHold');
  });

  it('rejects an action ProductionCentre is not registered for', async () => {
    const failure = await failureOf(
      adapter.write({ action: 'hold-lot', object: { type: 'material-lot', id: 'L' }, externalRef: 'h', reason: 'x' }),
    );
    expect(failure).toMatchObject({ kind: 'rejected', code: 'UNSUPPORTED_ACTION' });
  });

  it('reports wrong credentials as auth without the password in the error', async () => {
    const wrong = 'wrong-password-91c2';
    const client = new FactoryTalkAdapter('ft-wrong', configFor(sim, { password: wrong }));
    const failure = await failureOf(client.read(RECIPE));
    await client.close();
    expect(failure).toMatchObject({ kind: 'auth', code: 'AUTH_FAILED' });
    expectNoSecrets(failure, [wrong, sim.secrets[0], Buffer.from(`loopgate:${wrong}`).toString('base64')]);
  });
});

describe('FactoryTalk configuration', () => {
  it('names missing and malformed fields', () => {
    let issues: TargetConfigError['issues'] = [];
    try {
      parseFactoryTalkConfig({ baseUrl: 'ftp://x', lockTtlSeconds: 0 });
    } catch (error) {
      issues = (error as TargetConfigError).issues;
    }
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['$.baseUrl', '$.username', '$.lockTtlSeconds']));
  });

  it('takes the password from the environment variable it names', () => {
    const config = parseFactoryTalkConfig(
      { baseUrl: 'http://127.0.0.1:18202', username: 'loopgate', passwordEnv: 'FTPC_PASSWORD' },
      { FTPC_PASSWORD: 'env-pass' },
    );
    expect(config.password.reveal()).toBe('env-pass');
    expect(config).toMatchObject({ writesPerSecond: 25, lockTtlSeconds: 30 });
  });
});
