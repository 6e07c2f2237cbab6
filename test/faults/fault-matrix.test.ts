/**
 * The fault matrix: the gateway's engine with the real FactoryTalk adapter against the FactoryTalk
 * simulator, one fault per run, each run 300 commands on 25 keys (20 recipe parameters on 10
 * recipes, two per recipe lock, and 5 in-progress work orders). At the end of each run: every command
 * is in a terminal state (0 lost), the simulator applied none twice (0 duplicated) and each key's
 * writes in accepted order (0 reordered), every applied command is at the MES and no failed or
 * expired one is, and no change is blamed on anyone. Fault windows are scaled from minutes to
 * seconds (the 60 s outage is 3 s) so the matrix runs in about a minute; backoff is scaled to match.
 */
import { randomUUID } from 'node:crypto';
import type { CommandState, WriteBackRequest } from '@loopgate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxBus } from '../../server/src/gateway/bus/outbox-bus';
import type { Command } from '../../server/src/gateway/domain/command';
import { DEFAULT_POLICY } from '../../server/src/gateway/domain/guardrails';
import { processingStrategyOf } from '../../server/src/gateway/domain/retry-policy';
import { WriteBackEngine, type Actor } from '../../server/src/gateway/engine/writeback-engine';
import { MemoryGatewayStore } from '../../server/src/gateway/testing/memory-store';
import { FactoryTalkAdapter, parseFactoryTalkConfig } from '../../server/src/targets/factorytalk';
import { startFactoryTalkSimulator, type FactoryTalkSimulator } from '../../server/src/targets/factorytalk/simulator';

const INSTANCE = 'ft-faults';
const COMMANDS = 300;
const RECIPES = 10;
const WORK_ORDERS = 5;
const SERVICE: Actor = { id: 'token:line1', permissions: ['writeback:submit', 'read'] };
const TERMINAL: readonly CommandState[] = ['applied', 'shadow', 'rejected', 'failed', 'expired', 'reverted'];

interface Key {
  object: { type: 'recipe-parameter' | 'work-order'; id: string };
  parameter: string;
  action: 'set-parameter' | 'reroute-work-order';
}

const KEYS: Key[] = [
  ...Array.from({ length: RECIPES }, (_, i) => `RCP-LOAD-${String(i + 1).padStart(3, '0')}`).flatMap((id) =>
    ['FeedRate', 'SpindleSpeed'].map((parameter) => ({
      object: { type: 'recipe-parameter' as const, id },
      parameter,
      action: 'set-parameter' as const,
    })),
  ),
  ...Array.from({ length: WORK_ORDERS }, (_, i) => ({
    object: { type: 'work-order' as const, id: `WO-${3001 + i}` },
    parameter: 'workCenter',
    action: 'reroute-work-order' as const,
  })),
];

/** The n-th value for a key: never the seeded one, never the previous one. */
function valueFor(key: Key, n: number): number | string {
  if (key.parameter === 'workCenter') return n % 2 === 0 ? 'CELL-A' : 'CELL-C';
  return (key.parameter === 'FeedRate' ? 1000 : 7000) + n;
}

function requestFor(key: Key, n: number, notAfterMs: number): WriteBackRequest {
  const value = valueFor(key, n);
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}`, modelId: 'wear-v3', ruleSetId: 'rs', ruleSetVersion: 1 },
    target: { kind: 'factorytalk', instance: INSTANCE },
    object: key.object,
    action: key.action,
    ...(key.action === 'set-parameter' ? { parameter: key.parameter, value } : { details: { workCenter: value } }),
    reason: 'fault matrix',
    notAfter: new Date(Date.now() + notAfterMs).toISOString(),
    initiator: 'ai',
  };
}

interface RunReport {
  applied: number;
  failed: number;
  expired: number;
  quarantined: number;
  reconciling: number;
  /** Commands that went through `reconciling` on the way. */
  reconciled: number;
  lost: number;
  duplicated: number;
  reordered: number;
  failedButAtMes: number;
  appliedButNotAtMes: number;
  overrides: number;
  waits: string[];
  seconds: number;
}

interface Run {
  sim: FactoryTalkSimulator;
  engine: WriteBackEngine;
  adapter: FactoryTalkAdapter;
}

let current: Run | undefined;
const errors: string[] = [];

afterEach(async () => {
  if (!current) return;
  await current.engine.stop();
  await current.adapter.close();
  await current.sim.close();
  current = undefined;
});

/**
 * Starts a simulator and an engine, applies `fault`, submits COMMANDS requests round-robin over the
 * keys, waits until every command is terminal and returns the counts.
 */
async function run(fault: (sim: FactoryTalkSimulator) => void, { notAfterMs = 120_000 } = {}): Promise<RunReport> {
  const started = Date.now();
  const sim = await startFactoryTalkSimulator({
    maxLockTtlMs: 5_000,
    extra: { recipes: RECIPES, workOrders: WORK_ORDERS },
  });
  const adapter = new FactoryTalkAdapter(
    INSTANCE,
    parseFactoryTalkConfig({
      baseUrl: sim.url,
      username: sim.username,
      password: sim.secrets[0],
      requestTimeoutMs: 750,
      writesPerSecond: 1_000,
      lockTtlSeconds: 5,
    }),
  );
  const store = new MemoryGatewayStore();
  const logger = { warn: () => undefined, error: (message: string) => errors.push(message) };
  const engine = new WriteBackEngine({
    store,
    bus: new OutboxBus(store, { logger }),
    targets: [
      {
        instance: INSTANCE,
        kind: 'factorytalk',
        adapter,
        policy: DEFAULT_POLICY,
        approvals: [],
        shadow: false,
        processing: processingStrategyOf({ initialDelayMs: 20, maxDelayMs: 400 }),
      },
    ],
    logger,
    sweepIntervalMs: 50,
    overrideWatchIntervalMs: 0,
  });
  current = { sim, engine, adapter };
  await engine.start();
  fault(sim);

  const accepted: { id: string; key: number }[] = [];
  for (let i = 0; i < COMMANDS; i++) {
    const key = i % KEYS.length;
    const { outcome } = await engine.submit(requestFor(KEYS[key], Math.floor(i / KEYS.length), notAfterMs), SERVICE);
    expect(outcome.state).toBe('queued');
    accepted.push({ id: outcome.commandId, key });
  }

  const commands = new Map<string, Command>();
  const deadline = Date.now() + 100_000;
  for (;;) {
    for (const { id } of accepted) {
      const command = await store.findCommand(id);
      if (command) commands.set(id, command);
    }
    if ([...commands.values()].every((c) => TERMINAL.includes(c.state)) && commands.size === accepted.length) break;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const ledger = sim.ledger().filter((e) => e.source === 'api');
  const landed = new Map<string, number>();
  for (const entry of ledger)
    if (entry.externalRef) landed.set(entry.externalRef, (landed.get(entry.externalRef) ?? 0) + 1);
  let reordered = 0;
  KEYS.forEach((key, k) => {
    const order = accepted.filter((a) => a.key === k).map((a) => a.id);
    const field = key.parameter;
    const atMes = ledger.filter((e) => e.object === key.object.id && e.parameter === field).map((e) => e.externalRef);
    const expected = order.filter((id) => landed.has(id));
    if (JSON.stringify(atMes) !== JSON.stringify(expected)) reordered += 1;
  });
  const states = [...commands.values()].map((c) => c.state);
  const count = (state: string) => states.filter((s) => s === state).length;
  const audit = store.audit;
  const waits = [
    ...new Set(
      audit
        .filter(
          (r) =>
            r.outcome === 'retried' && (r.reasonCode === 'LOCK_UNAVAILABLE' || r.reasonCode === 'TARGET_UNAVAILABLE'),
        )
        .map((r) => (r.message ?? '').replace(/ \(.*$|;.*$/, '')),
    ),
  ];
  return {
    applied: count('applied'),
    failed: count('failed'),
    expired: count('expired'),
    quarantined: count('quarantined'),
    reconciling: count('reconciling'),
    reconciled: new Set(
      audit.filter((r) => r.reasonCode === 'OUTCOME_UNKNOWN' && r.outcome === 'pending').map((r) => r.commandId),
    ).size,
    lost: accepted.length - [...commands.values()].filter((c) => TERMINAL.includes(c.state)).length,
    duplicated: [...landed.values()].filter((n) => n > 1).length,
    reordered,
    failedButAtMes: [...commands.values()].filter((c) => c.state !== 'applied' && landed.has(c.id)).length,
    appliedButNotAtMes: [...commands.values()].filter((c) => c.state === 'applied' && !landed.has(c.id)).length,
    overrides: audit.filter((r) => r.outcome === 'overridden').length,
    waits,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

function expectTruthful(report: RunReport): void {
  console.log(JSON.stringify(report));
  expect(report).toMatchObject({
    lost: 0,
    duplicated: 0,
    reordered: 0,
    failedButAtMes: 0,
    appliedButNotAtMes: 0,
    reconciling: 0,
    quarantined: 0,
    overrides: 0,
  });
  expect(report.applied + report.failed + report.expired).toBe(COMMANDS);
  expect(errors).toEqual([]);
}

describe('fault matrix: FactoryTalk, 300 commands on 25 keys per fault', () => {
  it('503 window: the outage delays every command, none fails', async () => {
    const report = await run((sim) => sim.faults.set({ outageMs: 3_000 }));
    expectTruthful(report);
    expect(report.applied).toBe(COMMANDS);
    expect(report.waits.some((w) => w.startsWith('waiting for the target to answer'))).toBe(true);
  });

  it('503 window longer than notAfter: expired, never applied late, none failed', async () => {
    const report = await run((sim) => sim.faults.set({ outageMs: 4_000 }), { notAfterMs: 2_500 });
    expectTruthful(report);
    expect(report.failed).toBe(0);
    expect(report.expired).toBeGreaterThan(0);
  });

  it('frozen MES: writes that time out are reconciled when it thaws, none written twice', async () => {
    const report = await run((sim) => {
      // Frozen while writes are in flight, for longer than the adapter waits for an answer.
      setTimeout(() => sim.faults.set({ frozen: true }), 300).unref();
      setTimeout(() => sim.faults.set({ frozen: false }), 2_800).unref();
    });
    expectTruthful(report);
    expect(report.applied).toBe(COMMANDS);
  });

  it('dropped responses after apply: read before any new write, applied once', async () => {
    let drops = 0;
    const report = await run((sim) => {
      sim.faults.set({ dropRate: 0.25 });
      const roll = sim.faults.shouldDrop.bind(sim.faults);
      sim.faults.shouldDrop = () => {
        const dropped = roll();
        if (dropped) drops += 1;
        return dropped;
      };
    });
    expectTruthful(report);
    expect(report.applied).toBe(COMMANDS);
    expect(drops).toBeGreaterThan(20);
    // Two parameters share each recipe's lock: this process never waited on its own lock.
    expect(report.waits).toEqual([]);
  });

  it('confirming reads failing: the landed writes are applied, not failed', async () => {
    const report = await run((sim) => sim.faults.set({ readErrorRate: 0.3 }));
    expectTruthful(report);
    expect(report.applied).toBe(COMMANDS);
    expect(report.reconciled).toBeGreaterThan(0);
  });

  it('lock held by the operator console: waited for, reported by holder, applied after release', async () => {
    const report = await run((sim) => {
      for (let i = 1; i <= 4; i++) sim.lock(`RCP-LOAD-00${i}`, 'operator-console', 2_500);
      sim.lock('WO-3001', 'operator-console', 2_500);
    });
    expectTruthful(report);
    expect(report.applied).toBe(COMMANDS);
    expect(report.waits).toContain('waiting for lock held by operator-console');
  });

  it('lock expiry between acquire and change: locked again and applied', async () => {
    const report = await run((sim) => sim.faults.set({ lockExpiryRate: 0.25 }));
    expectTruthful(report);
    expect(report.applied).toBe(COMMANDS);
  });
});
