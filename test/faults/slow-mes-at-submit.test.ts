/**
 * A slow or failing MES at submit, against the FactoryTalk simulator: when the read of the current
 * value fails (5xx or timeout), a `set-parameter` under a step approval rule is not sent to
 * `pending-approval` on a guess. It is queued, and the step is judged at dispatch from the value
 * read just before the write: a small step is applied, a large one waits for a signature there.
 */
import { randomUUID } from 'node:crypto';
import type { WriteBackRequest } from '@loopgate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxBus } from '../../server/src/gateway/bus/outbox-bus';
import type { Command } from '../../server/src/gateway/domain/command';
import { DEFAULT_POLICY } from '../../server/src/gateway/domain/guardrails';
import { processingStrategyOf } from '../../server/src/gateway/domain/retry-policy';
import { WriteBackEngine, type Actor } from '../../server/src/gateway/engine/writeback-engine';
import { MemoryGatewayStore } from '../../server/src/gateway/testing/memory-store';
import { FactoryTalkAdapter, parseFactoryTalkConfig } from '../../server/src/targets/factorytalk';
import { startFactoryTalkSimulator, type FactoryTalkSimulator } from '../../server/src/targets/factorytalk/simulator';

const INSTANCE = 'ft-slow';
const SERVICE: Actor = { id: 'token:line1', permissions: ['writeback:submit', 'read'] };
const OPERATOR: Actor = { id: 'olivia', permissions: ['read', 'writeback:approve'] };
const RECIPES = 8;

let sim: FactoryTalkSimulator | undefined;
let engine: WriteBackEngine | undefined;
let adapter: FactoryTalkAdapter | undefined;

afterEach(async () => {
  await engine?.stop();
  await adapter?.close();
  await sim?.close();
  engine = adapter = sim = undefined;
});

async function start(): Promise<{ sim: FactoryTalkSimulator; engine: WriteBackEngine; store: MemoryGatewayStore }> {
  sim = await startFactoryTalkSimulator({ extra: { recipes: RECIPES } });
  adapter = new FactoryTalkAdapter(
    INSTANCE,
    parseFactoryTalkConfig({
      baseUrl: sim.url,
      username: sim.username,
      password: sim.secrets[0],
      requestTimeoutMs: 300,
      writesPerSecond: 1_000,
    }),
  );
  const store = new MemoryGatewayStore();
  engine = new WriteBackEngine({
    store,
    bus: new OutboxBus(store),
    targets: [
      {
        instance: INSTANCE,
        kind: 'factorytalk',
        adapter,
        policy: DEFAULT_POLICY,
        approvals: [{ name: 'recipe step above 2 %', actions: ['set-parameter'], stepPercentAbove: 2 }],
        shadow: false,
        processing: processingStrategyOf({ initialDelayMs: 20, maxDelayMs: 200 }),
      },
    ],
    sweepIntervalMs: 50,
    overrideWatchIntervalMs: 0,
  });
  await engine.start();
  return { sim, engine, store };
}

/** FeedRate of recipe `n` (seeded 1200) to `value`. */
function request(n: number, value: number): WriteBackRequest {
  return {
    requestId: randomUUID(),
    lineage: { inferenceId: `inf-${randomUUID()}` },
    target: { kind: 'factorytalk', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: `RCP-LOAD-${String(n).padStart(3, '0')}` },
    action: 'set-parameter',
    parameter: 'FeedRate',
    value,
    reason: 'slow MES at submit',
    notAfter: new Date(Date.now() + 60_000).toISOString(),
    initiator: 'ai',
  };
}

async function until(store: MemoryGatewayStore, id: string, states: Command['state'][]): Promise<Command> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const command = await store.findCommand(id);
    if (command && states.includes(command.state)) return command;
    if (Date.now() > deadline) throw new Error(`command ${id} is ${command?.state}, not ${states.join('/')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a slow MES at submit', () => {
  it('5xx on every read at submit: small steps are queued and applied, none waits for approval', async () => {
    const { sim, engine, store } = await start();
    sim.faults.set({ readErrorRate: 1 });
    const ids: string[] = [];
    // 1 % steps: under the 2 % rule, so no signature is due once the step can be measured.
    for (let n = 1; n <= RECIPES; n++) {
      const { outcome } = await engine.submit(request(n, 1212), SERVICE);
      expect(outcome.state).toBe('queued');
      ids.push(outcome.commandId);
    }
    sim.faults.clear();
    for (const id of ids) {
      expect(await until(store, id, ['applied', 'pending-approval', 'failed'])).toMatchObject({
        state: 'applied',
        priorValue: 1200,
      });
    }
    expect((await engine.pendingApprovals()).length).toBe(0);
  });

  it('timeouts at submit: a large step is queued, judged at dispatch, and waits for a signature there', async () => {
    const { sim, engine, store } = await start();
    sim.faults.set({ frozen: true });
    const submitted = Date.now();
    const { outcome } = await engine.submit(request(1, 1300), SERVICE);
    // The submit waited for one read (timeout 300 ms), not for the MES to thaw.
    expect(Date.now() - submitted).toBeLessThan(5_000);
    expect(outcome.state).toBe('queued');
    sim.faults.set({ frozen: false });
    const pending = await until(store, outcome.commandId, ['pending-approval', 'applied', 'failed']);
    expect(pending).toMatchObject({
      state: 'pending-approval',
      reasonCode: 'APPROVAL_REQUIRED',
      priorValue: 1200,
      approval: { rule: 'recipe step above 2 %' },
    });
    expect(sim.ledger().filter((e) => e.source === 'api')).toEqual([]);
    const outcomes = store.audit.filter((r) => r.commandId === outcome.commandId).map((r) => r.outcome);
    expect(outcomes).toEqual(['accepted', 'pending']);

    const approved = await engine.decide(outcome.commandId, OPERATOR, {
      signer: 'olivia',
      signerName: 'Olivia',
      meaning: 'approved',
      signedAt: new Date().toISOString(),
      recordHash: pending.approval!.recordHash!,
    });
    expect(approved.state).toBe('queued');
    expect(await until(store, outcome.commandId, ['applied', 'failed'])).toMatchObject({
      state: 'applied',
      newValue: 1300,
    });
  });
});
