/**
 * A target marked down, against the FactoryTalk simulator: a 503 window marks it down after three
 * outage signals in a row; while down, every key's queue holds at the gate (nothing fails, nothing
 * hammers the MES: one probe at a time with backoff); when a probe answers it is marked up and the
 * queues go on in their order.
 */
import { randomUUID } from 'node:crypto';
import type { CommandState, WriteBackRequest } from '@loopgate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxBus } from '../../server/src/gateway/bus/outbox-bus';
import type { Command } from '../../server/src/gateway/domain/command';
import { DEFAULT_POLICY } from '../../server/src/gateway/domain/guardrails';
import { processingStrategyOf, type ProcessingStrategy } from '../../server/src/gateway/domain/retry-policy';
import { WriteBackEngine, type Actor } from '../../server/src/gateway/engine/writeback-engine';
import { MemoryGatewayStore } from '../../server/src/gateway/testing/memory-store';
import { FactoryTalkAdapter, parseFactoryTalkConfig } from '../../server/src/targets/factorytalk';
import { startFactoryTalkSimulator, type FactoryTalkSimulator } from '../../server/src/targets/factorytalk/simulator';

const INSTANCE = 'ft-down';
const SERVICE: Actor = { id: 'token:line1', permissions: ['writeback:submit', 'read'] };
const RECIPES = 10;
const PER_KEY = 3;
const TERMINAL: readonly CommandState[] = ['applied', 'shadow', 'rejected', 'failed', 'expired', 'reverted'];

let sim: FactoryTalkSimulator | undefined;
let engine: WriteBackEngine | undefined;
let adapter: FactoryTalkAdapter | undefined;

afterEach(async () => {
  await engine?.stop();
  await adapter?.close();
  await sim?.close();
  engine = adapter = sim = undefined;
});

async function waitFor(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether the running engine has marked `instance` down (read when the engine reports a change). */
const markedDown = (instance: string) => engine?.targetState(instance).down !== undefined;

/** The FactoryTalk simulator with `recipes` recipes, and an engine dispatching to it with `processing`. */
async function start(
  recipes: number,
  processing: Partial<ProcessingStrategy>,
  onTarget?: (instance: string) => void,
): Promise<{ store: MemoryGatewayStore; sim: FactoryTalkSimulator; engine: WriteBackEngine }> {
  sim = await startFactoryTalkSimulator({ extra: { recipes } });
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
  engine = new WriteBackEngine({
    store,
    bus: new OutboxBus(store),
    targets: [
      {
        instance: INSTANCE,
        kind: 'factorytalk',
        adapter,
        policy: DEFAULT_POLICY,
        approvals: [],
        shadow: false,
        processing: processingStrategyOf(processing),
      },
    ],
    ...(onTarget ? { observer: { target: onTarget } } : {}),
    sweepIntervalMs: 50,
    overrideWatchIntervalMs: 0,
  });
  await engine.start();
  return { store, sim, engine };
}

describe('a target marked down', () => {
  it('holds every queue through a 503 window, probes with backoff, marks it up, and fails nothing', async () => {
    const transitions: { at: number; down: boolean }[] = [];
    const { store, sim, engine } = await start(RECIPES, { initialDelayMs: 50, maxDelayMs: 400 }, (instance) => {
      const down = markedDown(instance);
      if (transitions.at(-1)?.down !== down) transitions.push({ at: Date.now(), down });
    });

    sim.faults.set({ outageMs: 2_000 });
    const outageEnds = Date.now() + 2_000;
    const keys = Array.from({ length: RECIPES }, (_, i) => `RCP-LOAD-${String(i + 1).padStart(3, '0')}`).flatMap((id) =>
      ['FeedRate', 'SpindleSpeed'].map((parameter) => ({ id, parameter })),
    );
    const accepted: { id: string; key: number }[] = [];
    for (let n = 0; n < PER_KEY; n++) {
      for (let k = 0; k < keys.length; k++) {
        const request: WriteBackRequest = {
          requestId: randomUUID(),
          lineage: { inferenceId: `inf-${randomUUID()}` },
          target: { kind: 'factorytalk', instance: INSTANCE },
          object: { type: 'recipe-parameter', id: keys[k].id },
          action: 'set-parameter',
          parameter: keys[k].parameter,
          value: (keys[k].parameter === 'FeedRate' ? 1200 : 8000) + n + 1,
          reason: 'target down',
          notAfter: new Date(Date.now() + 60_000).toISOString(),
          initiator: 'ai',
        };
        const { outcome } = await engine.submit(request, SERVICE);
        expect(outcome.state).toBe('queued');
        accepted.push({ id: outcome.commandId, key: k });
      }
    }

    await waitFor('the target marked down', () => engine?.targetState(INSTANCE).down !== undefined);
    const down = engine.targetState(INSTANCE).down!;
    expect(down.reason).toMatch(/^3 outage signals in a row, the last: /);
    const requestsWhenDown = sim.requestCount();
    // While down nothing has failed or expired; every command waits its turn.
    const during = await Promise.all(accepted.map(({ id }) => store.findCommand(id)));
    expect(during.filter((c) => c && TERMINAL.includes(c.state) && c.state !== 'applied')).toEqual([]);

    await waitFor('the target marked up', () => engine?.targetState(INSTANCE).down === undefined);
    const markedUp = Date.now();
    const requestsWhileDown = sim.requestCount() - requestsWhenDown;

    const commands: Command[] = [];
    await waitFor('every command terminal', async () => {
      commands.length = 0;
      for (const { id } of accepted) commands.push((await store.findCommand(id))!);
      return commands.every((c) => TERMINAL.includes(c.state));
    });
    const ledger = sim.ledger().filter((e) => e.source === 'api');
    let reordered = 0;
    keys.forEach((key, k) => {
      const order = accepted.filter((a) => a.key === k).map((a) => a.id);
      const atMes = ledger
        .filter((e) => e.object === key.id && e.parameter === key.parameter)
        .map((e) => e.externalRef);
      if (JSON.stringify(atMes) !== JSON.stringify(order)) reordered += 1;
    });
    const report = {
      commands: accepted.length,
      applied: commands.filter((c) => c.state === 'applied').length,
      failed: commands.filter((c) => c.state === 'failed').length,
      duplicated: ledger.length - new Set(ledger.map((e) => e.externalRef)).size,
      reordered,
      transitions: transitions.map((t) => (t.down ? 'down' : 'up')),
      requestsWhileDown,
      markedUpAfterOutageMs: markedUp - outageEnds,
    };
    console.log(JSON.stringify(report));
    expect(report).toMatchObject({ applied: accepted.length, failed: 0, duplicated: 0, reordered: 0 });
    expect(report.transitions).toEqual(['down', 'up']);
    // Held queues do not hammer the MES: the probes (backoff 50…400 ms) and the few attempts in flight.
    expect(requestsWhileDown).toBeLessThan(accepted.length);
  });
});

describe('the mark-down threshold', () => {
  it('is a site setting per target (processing.markDownAfter): five outage signals in a row, not the default three', async () => {
    const { sim, engine } = await start(1, { initialDelayMs: 20, maxDelayMs: 50, markDownAfter: 5 });
    sim.faults.set({ errorRate: 1 });
    await engine.submit(
      {
        requestId: randomUUID(),
        lineage: { inferenceId: `inf-${randomUUID()}` },
        target: { kind: 'factorytalk', instance: INSTANCE },
        object: { type: 'recipe-parameter', id: 'RCP-LOAD-001' },
        action: 'set-parameter',
        parameter: 'FeedRate',
        value: 1201,
        reason: 'threshold',
        notAfter: new Date(Date.now() + 60_000).toISOString(),
      },
      SERVICE,
    );
    await waitFor('the target marked down', () => engine!.targetState(INSTANCE).down !== undefined);
    expect(engine.targetState(INSTANCE).down?.reason).toMatch(/^5 outage signals in a row/);
  });
});
