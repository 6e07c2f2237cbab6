/**
 * Quarantine, against the FactoryTalk simulator: a command the gateway cannot resolve by itself
 * (reconciling past its limit; the MES showing a value that is neither the one before the write nor
 * the one written) goes to `quarantined`, holds its key, and waits for an operator, who releases it
 * (read and written again) or resolves it as applied or not applied with a reason; audited.
 */
import { randomUUID } from 'node:crypto';
import type { WriteBackRequest } from '@loopgate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxBus } from '../../server/src/gateway/bus/outbox-bus';
import { KafkaCommandBus } from '../../server/src/gateway/bus/kafka';
import { busOptions, uniqueNames } from '../scale/support/bus-fixtures';
import { ensureServices } from '../support/services';
import type { Command } from '../../server/src/gateway/domain/command';
import { DEFAULT_POLICY } from '../../server/src/gateway/domain/guardrails';
import { processingStrategyOf, type ProcessingStrategy } from '../../server/src/gateway/domain/retry-policy';
import { WriteBackEngine, type Actor } from '../../server/src/gateway/engine/writeback-engine';
import { MemoryGatewayStore } from '../../server/src/gateway/testing/memory-store';
import { FactoryTalkAdapter, parseFactoryTalkConfig } from '../../server/src/targets/factorytalk';
import { startFactoryTalkSimulator, type FactoryTalkSimulator } from '../../server/src/targets/factorytalk/simulator';
import type { LedgerInput } from '../../server/src/targets/sim-kit';

const INSTANCE = 'ft-quarantine';
const SERVICE: Actor = { id: 'token:line1', permissions: ['writeback:submit', 'read'] };
const OPERATOR: Actor = { id: 'olivia', permissions: ['read', 'writeback:revert'] };
const RECIPE = 'RCP-LOAD-001';

let sim: FactoryTalkSimulator | undefined;
let engine: WriteBackEngine | undefined;
let adapter: FactoryTalkAdapter | undefined;

afterEach(async () => {
  await engine?.stop();
  await adapter?.close();
  await sim?.close();
  engine = adapter = sim = undefined;
});

interface Setup {
  sim: FactoryTalkSimulator;
  engine: WriteBackEngine;
  store: MemoryGatewayStore;
  /** Stored reads of a command so far (the quarantined dispatch polls its stored state). */
  readsOf(id: string): number;
  /** From the first write the simulator applies on, every read answers 503 (until the faults are cleared). */
  failReadsAfterFirstWrite(): void;
}

async function setup(
  reconcileLimitMs = 900_000,
  more: Partial<ProcessingStrategy> = {},
  bus: 'outbox' | 'kafka' = 'outbox',
): Promise<Setup> {
  sim = await startFactoryTalkSimulator({ extra: { recipes: 1 } });
  adapter = new FactoryTalkAdapter(
    INSTANCE,
    parseFactoryTalkConfig({
      baseUrl: sim.url,
      username: sim.username,
      password: sim.secrets[0],
      requestTimeoutMs: 500,
      writesPerSecond: 1_000,
    }),
  );
  const store = new MemoryGatewayStore();
  const reads = new Map<string, number>();
  const find = store.findCommand.bind(store);
  store.findCommand = (id: string) => {
    reads.set(id, (reads.get(id) ?? 0) + 1);
    return find(id);
  };
  const commandBus =
    bus === 'kafka'
      ? new KafkaCommandBus(
          store,
          busOptions((await ensureServices(['kafka'])).kafka.brokers, uniqueNames('quarantine')),
        )
      : new OutboxBus(store);
  engine = new WriteBackEngine({
    store,
    bus: commandBus,
    targets: [
      {
        instance: INSTANCE,
        kind: 'factorytalk',
        adapter,
        policy: DEFAULT_POLICY,
        approvals: [],
        shadow: false,
        processing: processingStrategyOf({ initialDelayMs: 20, maxDelayMs: 100, reconcileLimitMs, ...more }),
      },
    ],
    sweepIntervalMs: 50,
    overrideWatchIntervalMs: 0,
    // The reads failing here are the MES's answers being lost, not the target being down.
    markDownAfter: 1_000_000,
  });
  await engine.start();
  const running = sim;
  return {
    sim: running,
    engine,
    store,
    readsOf: (id) => reads.get(id) ?? 0,
    failReadsAfterFirstWrite: () => {
      const ledger = running.ledgerStore;
      const append = ledger.append.bind(ledger);
      ledger.append = (input: LedgerInput) => {
        const entry = append(input);
        if (input.source === 'api') {
          running.faults.set({ readErrorRate: 1 });
          ledger.append = append;
        }
        return entry;
      };
    },
  };
}

function request(value: number, initiator: 'ai' | 'human' = 'ai'): WriteBackRequest {
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}` },
    target: { kind: 'factorytalk', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: RECIPE },
    action: 'set-parameter',
    parameter: 'FeedRate',
    value,
    reason: 'quarantine',
    notAfter: new Date(Date.now() + 60_000).toISOString(),
    initiator,
  };
}

async function until(store: MemoryGatewayStore, id: string, state: Command['state']): Promise<Command> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const command = await store.findCommand(id);
    if (command?.state === state) return command;
    if (Date.now() > deadline) throw new Error(`command ${id} is ${command?.state}, not ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitFor(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const auditOf = (store: MemoryGatewayStore, id: string) =>
  store.audit.filter((r) => r.commandId === id).map((r) => `${r.outcome}/${r.reasonCode ?? ''}/${r.actor}`);

/** Past its reconcile limit a command is quarantined and holds its key until an operator resolves it. */
async function quarantinedUntilResolved(bus: 'outbox' | 'kafka'): Promise<void> {
  const { sim, engine, store, readsOf, failReadsAfterFirstWrite } = await setup(1_000, {}, bus);
  failReadsAfterFirstWrite();
  const first = (await engine.submit(request(1201), SERVICE)).outcome.commandId;
  const second = (await engine.submit(request(1202), SERVICE)).outcome.commandId;
  const held = await until(store, first, 'quarantined');
  expect(held.message).toMatch(/^still reconciling after 1 s \(limit 1 s\)/);

  // The MES answers again; the key stays held: the quarantined dispatch keeps polling, the next waits.
  sim.faults.clear();
  const polled = readsOf(first);
  await waitFor('the quarantined dispatch polling', () => readsOf(first) >= polled + 3);
  expect((await store.findCommand(second))?.state).toBe('queued');
  expect(
    sim
      .ledger()
      .filter((e) => e.source === 'api')
      .map((e) => e.externalRef),
  ).toEqual([first]);

  const resolved = await engine.resolve(first, OPERATOR, 'applied', 'the console shows 1201, set by the gateway');
  expect(resolved).toMatchObject({ state: 'applied', reasonCode: 'QUARANTINE_RESOLVED', newValue: 1201 });
  expect(await until(store, second, 'applied')).toMatchObject({ priorValue: 1201, newValue: 1202 });
  expect(
    sim
      .ledger()
      .filter((e) => e.source === 'api')
      .map((e) => e.externalRef),
  ).toEqual([first, second]);
  expect(auditOf(store, first)).toEqual([
    'accepted//token:line1',
    'pending/OUTCOME_UNKNOWN/gateway',
    'pending/QUARANTINED/gateway',
    'applied/QUARANTINE_RESOLVED/olivia',
  ]);
  // Once resolved it is no longer the operator's to act on.
  await expect(engine.resolve(first, OPERATOR, 'not-applied', 'twice')).rejects.toMatchObject({
    code: 'NOT_QUARANTINED',
    status: 409,
  });
}

describe('quarantine', () => {
  it('reconciling past its limit: quarantined, the key held, resolved as applied by an operator, then the next goes', () =>
    quarantinedUntilResolved('outbox'));

  it('the reconcile limit counts from when reconciling began, across a restart of the gateway', async () => {
    const { sim, engine: first, store, failReadsAfterFirstWrite } = await setup();
    failReadsAfterFirstWrite();
    const id = (await first.submit(request(1203), SERVICE)).outcome.commandId;
    const reconciling = await until(store, id, 'reconciling');
    await first.stop();
    engine = undefined;
    // The gateway comes back 20 minutes later (its clock says so); the MES still does not answer reads.
    const later = Date.parse(reconciling.updatedAt) + 20 * 60_000;
    const offset = later - Date.now();
    engine = new WriteBackEngine({
      store,
      bus: new OutboxBus(store),
      targets: [
        {
          instance: INSTANCE,
          kind: 'factorytalk',
          adapter: adapter!,
          policy: DEFAULT_POLICY,
          approvals: [],
          shadow: false,
          processing: processingStrategyOf({ initialDelayMs: 20, maxDelayMs: 100 }),
        },
      ],
      sweepIntervalMs: 50,
      overrideWatchIntervalMs: 0,
      markDownAfter: 1_000_000,
      now: () => Date.now() + offset,
    });
    await engine.start();
    // 20 minutes of reconciling in all, past the 15-minute default: quarantined at the first failed read.
    const held = await until(store, id, 'quarantined');
    expect(held.message).toMatch(/^still reconciling after 1200 s \(limit 900 s\)/);
    expect(sim.ledger().filter((e) => e.source === 'api')).toHaveLength(1);
  });

  it('a value the gateway cannot explain: quarantined naming who changed it; released, it is written again', async () => {
    const { sim, engine, store, failReadsAfterFirstWrite } = await setup();
    failReadsAfterFirstWrite();
    const id = (await engine.submit(request(1250, 'human'), SERVICE)).outcome.commandId;
    await until(store, id, 'reconciling');
    // Someone changes the value while the gateway cannot read it.
    sim.operatorEdit(RECIPE, 'FeedRate', 1180, 'otto');
    sim.faults.clear();
    const held = await until(store, id, 'quarantined');
    expect(held.message).toContain('the target shows 1180 (last changed by otto)');
    expect(held.message).toContain('neither the value before the write (1200) nor the value written (1250)');
    expect(sim.ledger().filter((e) => e.source === 'api')).toHaveLength(1);

    await engine.release(id, OPERATOR, 'otto agrees: write 1250 again');
    expect(await until(store, id, 'applied')).toMatchObject({ newValue: 1250 });
    // Written again because an operator said so, after reading 1180 from the target.
    expect(
      sim
        .ledger()
        .filter((e) => e.source === 'api')
        .map((e) => e.value),
    ).toEqual([1250, 1250]);
    expect(auditOf(store, id)).toContain('retried/QUARANTINE_RELEASED/olivia');
  });

  it('attempts run out under giveUp quarantine: quarantined instead of failed, nothing written', async () => {
    const { sim, engine, store } = await setup(900_000, { attempts: 2, outage: 'retry', giveUp: 'quarantine' });
    sim.faults.set({ errorRate: 1 });
    const id = (await engine.submit(request(1220), SERVICE)).outcome.commandId;
    const held = await until(store, id, 'quarantined');
    expect(held.message).toMatch(/\(after 2 attempts\)$/);
    expect(sim.ledger().filter((e) => e.source === 'api')).toEqual([]);
  });

  it('resolved as not applied: failed with the operator and the reason, and a later command on the key goes', async () => {
    const { sim, engine, store, failReadsAfterFirstWrite } = await setup(1_000);
    failReadsAfterFirstWrite();
    const id = (await engine.submit(request(1210), SERVICE)).outcome.commandId;
    await until(store, id, 'quarantined');
    sim.faults.clear();
    const resolved = await engine.resolve(id, OPERATOR, 'not-applied', 'the recipe was reloaded from the master');
    expect(resolved).toMatchObject({ state: 'failed', reasonCode: 'QUARANTINE_RESOLVED' });
    expect(resolved.message).toBe('resolved by olivia as not applied: the recipe was reloaded from the master');
    const next = (await engine.submit(request(1211), SERVICE)).outcome.commandId;
    expect(await until(store, next, 'applied')).toMatchObject({ newValue: 1211 });
  });
});

describe('quarantine on the Kafka command bus', () => {
  it('on the Kafka bus too: quarantined past its limit, the partition key held, resolved, then the next goes', () =>
    quarantinedUntilResolved('kafka'));
});
