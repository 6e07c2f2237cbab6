import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TargetWrite } from '../adapter';
import { describeTargetContract, expectNoSecrets, failureOf, harnessFromDefinition } from '../contract-suite';
import { TargetConfigError } from '../target-config';
import { OpcenterAdapter } from './adapter';
import { parseOpcenterConfig, type OpcenterConfig } from './config';
import { opcenterTarget } from './index';
import { parseODataFilter, startOpcenterSimulator, type OpcenterSimulator } from './simulator';
import { OpcenterTransport } from './transport';
import { freePort } from '../../common/free-port';

describeTargetContract('opcenter', () => harnessFromDefinition(opcenterTarget));

const RECIPE = { type: 'recipe-parameter' as const, id: 'CNC-01/OP20' };
const setFeed = (value: number, externalRef: string): TargetWrite => ({
  action: 'set-parameter',
  object: RECIPE,
  parameter: 'FeedRate',
  value,
  externalRef,
  reason: 'test',
});

function configFor(sim: OpcenterSimulator, overrides: Record<string, unknown> = {}): OpcenterConfig {
  return parseOpcenterConfig({
    baseUrl: sim.url,
    app: sim.app,
    clientId: sim.clientId,
    clientSecret: sim.secrets[0],
    requestTimeoutMs: 2000,
    ...overrides,
  });
}

/**
 * Runs `work` on a fake clock (Date and timers) advancing in `stepMs` steps, with a turn of the
 * real event loop between steps so the simulator's socket still answers.
 */
async function onFakeClock<T>(work: () => Promise<T>, stepMs = 25): Promise<T> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  try {
    let settled = false;
    const running = work().finally(() => {
      settled = true;
    });
    running.catch(() => undefined);
    while (!settled) {
      await vi.advanceTimersByTimeAsync(stepMs);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return await running;
  } finally {
    vi.useRealTimers();
  }
}

describe('Opcenter silent throttle', () => {
  let sim: OpcenterSimulator;
  beforeAll(async () => {
    sim = await startOpcenterSimulator({ transactionsPerSecond: 20 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it('applies a 10x burst (200 commands offered at once) completely and in order through the adapter', async () => {
    const adapter = new OpcenterAdapter('burst', configFor(sim));
    const values = Array.from({ length: 200 }, (_, i) => 2000 + i);
    // The limiter spaces the commands over 12.5 s and the simulator's queue drains by the same
    // clock: a fake one, so the burst costs no real time. The limiter is closed on it too.
    const results = await onFakeClock(async () => {
      const written = await Promise.all(values.map((v) => adapter.write(setFeed(v, `burst-${v}`))));
      await adapter.close();
      return written;
    });
    expect(results.every((r) => typeof r.mesTransactionId === 'string')).toBe(true);
    expect(sim.throttledCount()).toBe(0);
    expect(sim.ledger().map((e) => e.value)).toEqual(values);
    expect(sim.store.get('CNC-01/OP20').fields.FeedRate).toBe(2199);
  });

  it('drops part of the same burst without the limiter, while acknowledging every command', async () => {
    // 200 requests at once: on a busy machine the last answers take longer than the usual 2 s.
    const transport = new OpcenterTransport(configFor(sim, { requestTimeoutMs: 15_000 }), 'Opcenter unlimited');
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        transport.command('SetProcessParameterValue', { RecipeId: RECIPE.id, Name: 'FeedRate', Value: 3000 + i }),
      ),
    );
    expect(answers.every((a) => a.Succeeded && typeof a.TransactionId === 'string')).toBe(true);
    expect(sim.throttledCount()).toBeGreaterThan(0);
    expect(sim.ledger().length).toBeLessThan(200);
    expect(sim.ledger().length + sim.throttledCount()).toBe(200);
  });

  it('spaces commands at the configured rate', async () => {
    const adapter = new OpcenterAdapter('spacing', configFor(sim, { writesPerSecond: 10 }));
    const started = Date.now();
    await Promise.all([0, 1, 2, 3, 4, 5].map((i) => adapter.write(setFeed(4000 + i, `spacing-${i}`))));
    await adapter.close();
    // Six starts at 100 ms spacing take at least 500 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(480);
    expect(adapter.rateLimit).toBe(10);
  });
});

describe('Opcenter adapter', () => {
  let sim: OpcenterSimulator;
  let adapter: OpcenterAdapter;
  beforeAll(async () => {
    sim = await startOpcenterSimulator();
    adapter = new OpcenterAdapter('opcenter-test', configFor(sim, { writesPerSecond: 200 }));
  });
  afterAll(async () => {
    await adapter.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  const confirm = async (command: TargetWrite) => {
    await adapter.write(command);
    const expected = adapter.expectedAfter(command);
    expect(expected).not.toBeNull();
    expect((await adapter.read(expected!.address)).value).toEqual(expected!.value);
  };

  it('updates a work order status, confirmed by read-back', async () => {
    await confirm({
      action: 'update-work-order-status',
      object: { type: 'work-order', id: 'WO-1002' },
      value: 'Hold',
      externalRef: 'wo-status',
      reason: 'test',
    });
  });

  it('re-routes a work order to another work center, confirmed by read-back', async () => {
    await confirm({
      action: 'reroute-work-order',
      object: { type: 'work-order', id: 'WO-1001' },
      details: { workCenter: 'CELL-C', operations: 3 },
      externalRef: 'wo-route',
      reason: 'bottleneck at CELL-B',
    });
    expect(sim.ledger()[0]).toMatchObject({ object: 'WO-1001', parameter: 'WorkCenter', value: 'CELL-C' });
  });

  it('holds and releases a material lot', async () => {
    const lot = { type: 'material-lot' as const, id: 'LOT-4711' };
    await confirm({ action: 'hold-lot', object: lot, externalRef: 'hold', reason: 'suspect' });
    await confirm({ action: 'release-lot', object: lot, externalRef: 'release', reason: 'QA cleared' });
    expect(sim.ledger().map((e) => e.value)).toEqual(['Hold', 'Active']);
  });

  it('answers a repeated create with the first quality event instead of a second one', async () => {
    const create: TargetWrite = {
      action: 'create-quality-event',
      object: { type: 'material-lot', id: 'LOT-4711' },
      externalRef: 'qe-twice',
      reason: 'suspect',
    };
    const first = await adapter.write(create);
    const second = await adapter.write(create);
    expect(second).toEqual(first);
    expect(sim.store.all('QualityEvent')).toHaveLength(1);
  });

  it('rejects a value of the wrong type as the MES does', async () => {
    const failure = await failureOf(adapter.write({ ...setFeed(0, 'type'), value: 'fast' }));
    expect(failure).toMatchObject({ kind: 'rejected', code: 'MES_INVALID_VALUE' });
  });

  it('rejects a re-route to an unknown work center', async () => {
    const failure = await failureOf(
      adapter.write({
        action: 'reroute-work-order',
        object: { type: 'work-order', id: 'WO-1001' },
        details: { workCenter: 'CELL-Z' },
        externalRef: 'bad-route',
        reason: 'test',
      }),
    );
    expect(failure).toMatchObject({ kind: 'rejected', code: 'MES_UNKNOWN_WORK_CENTER' });
  });

  it('rejects an action Opcenter is not registered for, without sending it', async () => {
    const before = sim.requestCount();
    const failure = await failureOf(
      adapter.write({ ...setFeed(1, 'pm'), action: 'create-maintenance-work-order', parameter: undefined }),
    );
    expect(failure).toMatchObject({ kind: 'rejected', code: 'UNSUPPORTED_ACTION' });
    expect(sim.requestCount()).toBe(before);
  });

  it('reports a parameter that does not exist as NOT_FOUND', async () => {
    const failure = await failureOf(adapter.read({ object: RECIPE, parameter: 'NoSuchParameter' }));
    expect(failure).toMatchObject({ kind: 'rejected', code: 'NOT_FOUND' });
  });

  it('quotes OData literals so an id with a quote reads the right record', async () => {
    const failure = await failureOf(adapter.read({ object: { type: 'work-order', id: "WO-1001' or Id eq 'x" } }));
    expect(failure.code).toBe('NOT_FOUND');
    expect(parseODataFilter("NId eq 'it''s'")).toEqual({ NId: "it's" });
  });

  it('reports a target nobody listens on as transient', async () => {
    const port = await freePort();
    const offline = new OpcenterAdapter('offline', configFor(sim, { baseUrl: `http://127.0.0.1:${port}` }));
    const failure = await failureOf(offline.read({ object: RECIPE, parameter: 'FeedRate' }));
    await offline.close();
    expect(failure).toMatchObject({ kind: 'transient', code: 'CONNECTION_REFUSED' });
  });
});

describe('Opcenter token', () => {
  let sim: OpcenterSimulator;
  beforeAll(async () => {
    sim = await startOpcenterSimulator();
  });
  afterAll(() => sim.close());

  it('is fetched once and reused while valid', async () => {
    const transport = new OpcenterTransport(configFor(sim), 'Opcenter token');
    const before = sim.tokenRequests();
    await transport.query('WorkOrders', "NId eq 'WO-1001'");
    await transport.query('WorkOrders', "NId eq 'WO-1002'");
    expect(sim.tokenRequests() - before).toBe(1);
  });

  it('is refreshed once after a 401 and the call succeeds', async () => {
    const transport = new OpcenterTransport(configFor(sim), 'Opcenter token');
    await transport.ping();
    sim.revokeTokens();
    const before = sim.tokenRequests();
    const rows = await transport.query('WorkOrders', "NId eq 'WO-1001'");
    expect(rows).toHaveLength(1);
    expect(sim.tokenRequests() - before).toBe(1);
  });

  it('is refreshed before it expires', async () => {
    let now = Date.now();
    const transport = new OpcenterTransport(configFor(sim), 'Opcenter token', () => now);
    await transport.ping();
    const before = sim.tokenRequests();
    now += 3600 * 1000;
    await transport.ping();
    expect(sim.tokenRequests() - before).toBe(1);
  });

  it('reports wrong client credentials as auth, naming neither the secret nor the token', async () => {
    const wrong = 'not-the-secret-7f3a9c';
    const transport = new OpcenterTransport(configFor(sim, { clientSecret: wrong }), 'Opcenter token');
    const failure = await failureOf(transport.ping());
    expect(failure).toMatchObject({ kind: 'auth', code: 'AUTH_FAILED' });
    expectNoSecrets(failure, [wrong, sim.secrets[0]]);
  });
});

describe('Opcenter configuration', () => {
  const valid = {
    baseUrl: 'http://127.0.0.1:18201/',
    app: 'OpcenterEXDS',
    clientId: 'loopgate',
    clientSecret: 's3cr3t',
  };
  const issuesOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(TargetConfigError);
      return (error as TargetConfigError).issues;
    }
    throw new Error('expected a TargetConfigError');
  };
  afterEach(() => {
    delete process.env.LOOPGATE_TEST_OPCENTER_SECRET;
  });

  it('applies defaults: token endpoint under the base URL, 16 writes/s, one command in flight', () => {
    const config = parseOpcenterConfig(valid);
    expect(config).toMatchObject({
      baseUrl: 'http://127.0.0.1:18201',
      tokenUrl: 'http://127.0.0.1:18201/sit-auth/OAuth/Token',
      writesPerSecond: 16,
      maxConcurrentWrites: 1,
    });
  });

  it('names each bad field', () => {
    const issues = issuesOf(() => parseOpcenterConfig({ baseUrl: 'not a url', app: 'x y', writesPerSecond: 0 }));
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['$.baseUrl', '$.app', '$.clientId', '$.writesPerSecond']));
    expect(issues.find((i) => i.path === '$.clientId')?.code).toBe('REQUIRED');
  });

  it('refuses an unknown field', () => {
    const issues = issuesOf(() => parseOpcenterConfig({ ...valid, clientSecrte: 'typo' }));
    expect(issues).toContainEqual(expect.objectContaining({ code: 'UNKNOWN_FIELD', path: '$.clientSecrte' }));
  });

  it('reads the secret from the environment variable it names', () => {
    process.env.LOOPGATE_TEST_OPCENTER_SECRET = 'from-env-secret';
    const config = parseOpcenterConfig({
      ...valid,
      clientSecret: undefined,
      clientSecretEnv: 'LOOPGATE_TEST_OPCENTER_SECRET',
    });
    expect(config.clientSecret.reveal()).toBe('from-env-secret');
    expect(JSON.stringify(config)).not.toContain('from-env-secret');
  });

  it('names a missing environment variable, not a value', () => {
    const issues = issuesOf(() =>
      parseOpcenterConfig({ ...valid, clientSecret: undefined, clientSecretEnv: 'LOOPGATE_TEST_OPCENTER_SECRET' }),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        path: '$.clientSecret',
        message: expect.stringContaining('LOOPGATE_TEST_OPCENTER_SECRET'),
      }),
    ]);
  });

  it('never puts a secret into a validation message', () => {
    let thrown: unknown;
    try {
      parseOpcenterConfig({ ...valid, baseUrl: 'nope', clientSecret: 12345678 });
    } catch (error) {
      thrown = error;
    }
    expectNoSecrets(thrown, ['12345678']);
  });

  it('is refused as a whole when it is not an object', () => {
    expect(issuesOf(() => parseOpcenterConfig('http://x'))).toEqual([expect.objectContaining({ path: '$' })]);
  });
});
