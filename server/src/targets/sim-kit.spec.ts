import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FaultHandle,
  SimHttpError,
  SimObjectStore,
  startHttpSimulator,
  type HttpSimulator,
  type SimObject,
} from './sim-kit';

const seed = (): SimObject[] => [{ id: 'EQ-1', type: 'Equipment', fields: { Setpoint: 10 }, state: 'open' }];

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('HTTP simulator kit', () => {
  let sim: HttpSimulator;
  beforeAll(async () => {
    const store = new SimObjectStore(seed);
    sim = await startHttpSimulator({
      name: 'kit',
      store,
      secrets: ['kit-secret'],
      authorize: (request) => request.headers.authorization === 'kit-secret',
      routes: [
        {
          method: 'GET',
          path: '/things/:id',
          handle: (request) => ({ status: 200, body: store.get(request.params.id).fields }),
        },
        {
          method: 'PUT',
          path: '/things/:id',
          mutating: true,
          handle(request) {
            const value = (request.body as { value: number }).value;
            store.get(request.params.id).fields.Setpoint = value;
            sim.ledgerStore.append({
              object: request.params.id,
              parameter: 'Setpoint',
              value,
              operation: 'put',
              source: 'api',
            });
            return { status: 200, body: { ok: true } };
          },
        },
      ],
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  const put = (value: number) =>
    fetch(`${sim.url}/things/EQ-1`, {
      method: 'PUT',
      headers: { authorization: 'kit-secret', 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
    });

  it('listens on 127.0.0.1 at an OS-assigned port', () => {
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    expect(sim.port).toBeGreaterThan(0);
  });

  it('keeps an ordered ledger with sequence and time, served on GET /__admin/ledger', async () => {
    await put(11);
    await put(12);
    const { entries } = (await (await fetch(`${sim.url}/__admin/ledger`)).json()) as { entries: unknown[] };
    expect(entries).toEqual([
      expect.objectContaining({
        sequence: 1,
        value: 11,
        object: 'EQ-1',
        parameter: 'Setpoint',
        time: expect.any(String),
      }),
      expect.objectContaining({ sequence: 2, value: 12 }),
    ]);
  });

  it('answers 401 to a request without credentials and applies nothing', async () => {
    const response = await fetch(`${sim.url}/things/EQ-1`, { method: 'PUT', body: '{"value":1}' });
    expect(response.status).toBe(401);
    expect(sim.ledger()).toHaveLength(0);
  });

  it('injects 5xx before applying when the error rate is 1 (POST /__admin/faults)', async () => {
    expect((await post(`${sim.url}/__admin/faults`, { errorRate: 1, errorStatus: 502 })).status).toBe(200);
    expect((await put(13)).status).toBe(502);
    expect(sim.ledger()).toHaveLength(0);
  });

  it('drops the connection after applying when the drop rate is 1', async () => {
    sim.faults.set({ dropRate: 1 });
    await expect(put(14)).rejects.toThrow();
    expect(sim.ledger().map((e) => e.value)).toEqual([14]);
  });

  it('adds latency after applying', async () => {
    sim.faults.set({ latencyMs: 150 });
    const started = Date.now();
    await put(15);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  const get = () => fetch(`${sim.url}/things/EQ-1`, { headers: { authorization: 'kit-secret' } });

  it('answers 503 to everything during an outage window (outageMs), then serves again', async () => {
    expect((await post(`${sim.url}/__admin/faults`, { outageMs: 60_000 })).status).toBe(200);
    expect((await put(30)).status).toBe(503);
    expect((await get()).status).toBe(503);
    expect(sim.ledger()).toHaveLength(0);
    sim.faults.set({ outageUntil: Date.now() - 1 });
    expect((await put(31)).status).toBe(200);
  });

  it('fails reads but not writes at readErrorRate 1: the change lands, its confirming read fails', async () => {
    sim.faults.set({ readErrorRate: 1 });
    expect((await put(32)).status).toBe(200);
    expect((await get()).status).toBe(503);
    expect(sim.ledger().map((e) => e.value)).toEqual([32]);
  });

  it('holds requests while frozen and applies them on thaw, even when the client gave up', async () => {
    sim.faults.set({ frozen: true });
    const gaveUp = fetch(`${sim.url}/things/EQ-1`, {
      method: 'PUT',
      headers: { authorization: 'kit-secret', 'content-type': 'application/json' },
      body: JSON.stringify({ value: 33 }),
      signal: AbortSignal.timeout(100),
    });
    await expect(gaveUp).rejects.toThrow();
    expect(sim.ledger()).toHaveLength(0);
    const waiting = put(34);
    sim.faults.set({ frozen: false });
    expect((await waiting).status).toBe(200);
    expect(sim.ledger().map((e) => e.value)).toEqual([33, 34]);
  });

  it('holds a timed operator lock (POST /__admin/lock with ttlMs)', async () => {
    await post(`${sim.url}/__admin/lock`, { object: 'EQ-1', ttlMs: 60_000 });
    expect(sim.store.activeLock('EQ-1')).toMatchObject({ holder: 'operator-console', expiresAt: expect.any(Number) });
  });

  it('refuses every API request with 401 under an auth failure, admin requests still work', async () => {
    await post(`${sim.url}/__admin/faults`, { authFailure: true });
    expect((await put(16)).status).toBe(401);
    expect((await fetch(`${sim.url}/__admin/ledger`)).status).toBe(200);
  });

  it('refuses invalid fault settings with 400', async () => {
    const response = await post(`${sim.url}/__admin/faults`, { errorRate: 2 });
    expect(response.status).toBe(400);
    expect(sim.faults.current().errorRate).toBe(0);
  });

  it('applies an operator edit (POST /__admin/operator-edit), recorded as operator in the ledger', async () => {
    expect(
      (await post(`${sim.url}/__admin/operator-edit`, { object: 'EQ-1', parameter: 'Setpoint', value: 99 })).status,
    ).toBe(204);
    const read = await fetch(`${sim.url}/things/EQ-1`, { headers: { authorization: 'kit-secret' } });
    expect(await read.json()).toEqual({ Setpoint: 99 });
    expect(sim.ledger()).toEqual([expect.objectContaining({ source: 'operator', value: 99 })]);
  });

  it('holds a lock for the operator console (POST /__admin/lock) until unlocked', async () => {
    await post(`${sim.url}/__admin/lock`, { object: 'EQ-1', holder: 'operator-console' });
    expect(sim.store.isLocked('EQ-1')).toBe(true);
    expect(sim.store.activeLock('EQ-1')?.holder).toBe('operator-console');
    await post(`${sim.url}/__admin/unlock`, { object: 'EQ-1' });
    expect(sim.store.isLocked('EQ-1')).toBe(false);
  });

  it('sets a record state (POST /__admin/record-state) and refuses an unknown one', async () => {
    await post(`${sim.url}/__admin/record-state`, { object: 'EQ-1', state: 'audited' });
    expect(sim.store.isAudited('EQ-1')).toBe(true);
    expect((await post(`${sim.url}/__admin/record-state`, { object: 'EQ-1', state: 'frozen' })).status).toBe(400);
  });

  it('resets objects, ledger, faults and counters (POST /__admin/reset)', async () => {
    await put(20);
    sim.faults.set({ latencyMs: 5 });
    await post(`${sim.url}/__admin/reset`, {});
    expect(sim.ledger()).toHaveLength(0);
    expect(sim.faults.current().latencyMs).toBe(0);
    expect(sim.store.get('EQ-1').fields.Setpoint).toBe(10);
    expect(sim.requestCount()).toBe(0);
  });

  it('counts API requests but not admin requests', async () => {
    await put(21);
    await fetch(`${sim.url}/__admin/ledger`);
    expect(sim.requestCount()).toBe(1);
  });

  it('answers 404 with an OData-style error body for an unknown route', async () => {
    const response = await fetch(`${sim.url}/nothing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NotFound', message: expect.any(String) } });
  });
});

describe('SimObjectStore locks', () => {
  it('expires a lock after its time and lets another holder take it', () => {
    let now = 1000;
    const store = new SimObjectStore(seed, () => now);
    store.lock('EQ-1', 'a', 100);
    expect(() => store.lock('EQ-1', 'b', 100)).toThrow(SimHttpError);
    now = 1100;
    expect(store.isLocked('EQ-1')).toBe(false);
    expect(store.lock('EQ-1', 'b', 100).holder).toBe('b');
  });
});

describe('FaultHandle', () => {
  it('fails and drops by the configured rates', () => {
    const rolls = [0.2, 0.8];
    const faults = new FaultHandle(() => rolls.shift() ?? 0);
    faults.set({ errorRate: 0.5 });
    expect(faults.shouldError()).toBe(true);
    expect(faults.shouldError()).toBe(false);
  });
});

describe('FaultHandle outage windows', () => {
  it('fails every request inside the window by the simulator clock, none after it', () => {
    let now = 10_000;
    const faults = new FaultHandle(
      () => 0.99,
      () => now,
    );
    faults.set({ outageMs: 60_000 });
    expect(faults.shouldError()).toBe(true);
    now += 59_999;
    expect(faults.shouldError(false)).toBe(true);
    now += 1;
    expect(faults.shouldError()).toBe(false);
  });

  it('fails only reads at readErrorRate', () => {
    const faults = new FaultHandle(() => 0);
    faults.set({ readErrorRate: 1 });
    expect(faults.shouldError(true)).toBe(false);
    expect(faults.shouldError(false)).toBe(true);
  });
});
