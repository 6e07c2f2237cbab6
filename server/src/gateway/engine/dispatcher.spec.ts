import { afterEach, describe, expect, it } from 'vitest';
import { FakeTarget } from '../testing/fake-target';
import { EngineHarness, FEED, OPERATOR, SERVICE, setRequest, type HarnessTarget } from '../testing/harness';
import type { MemoryGatewayStore } from '../testing/memory-store';
import { until } from '../testing/until';
import type { EngineOptions } from './writeback-engine';

let harness: EngineHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(
  target: Partial<HarnessTarget> & { fake?: FakeTarget } = {},
  options: Partial<EngineOptions> = {},
) {
  const fake = target.fake ?? new FakeTarget();
  fake.set(FEED, 1000);
  harness = await new EngineHarness(
    [{ processing: { initialDelayMs: 1, maxDelayMs: 5 }, ...target, fake }],
    undefined,
    options,
  ).start();
  return { fake, h: harness, store: harness.store as MemoryGatewayStore };
}

/** A target whose first write meets `fault` and whose next `failingReads` reads after it answer 503. */
function faultyTarget(fault: 'unknown-landed' | undefined, failingReads: number): FakeTarget {
  let writes = 0;
  const fake: FakeTarget = new FakeTarget({
    faults: () => {
      writes += 1;
      if (writes > 1) return undefined;
      fake.failReadsNext(failingReads);
      return fault;
    },
  });
  return fake;
}

const auditOf = (store: MemoryGatewayStore, commandId: string) =>
  store.audit
    .filter((r) => r.commandId === commandId)
    .map((r) => `${r.outcome}${r.reasonCode ? `/${r.reasonCode}` : ''}`);

describe('unknown outcomes stay unknown until known', () => {
  it('reconciles a write whose confirming reads fail: applied once, never written again, never failed', async () => {
    // The prior read answers; then the write lands and the next reads (confirmation) answer 503.
    const { fake, h, store } = await start({ fake: faultyTarget(undefined, 8) });
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    const done = await h.settle(outcome.commandId);
    expect(done).toMatchObject({ state: 'applied', newValue: 1010 });
    expect(fake.calls.write).toBe(1);
    expect(fake.appliedTo(FEED)).toHaveLength(1);
    expect(auditOf(store, outcome.commandId)).toEqual(['accepted', 'pending/OUTCOME_UNKNOWN', 'applied']);
  });

  it('reads after a lost answer until the target answers, and applies without a second write', async () => {
    const { fake, h, store } = await start({ fake: faultyTarget('unknown-landed', 5) });
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'applied', newValue: 1010 });
    expect(fake.calls.write).toBe(1);
    expect(store.audit.find((r) => r.commandId === outcome.commandId && r.outcome === 'pending')?.message).toMatch(
      /^outcome unknown \(the answer to the write was lost/,
    );
  });

  it('writes again once a read shows the lost write did not land, saying so', async () => {
    const { fake, h, store } = await start();
    fake.failNext('unknown-lost');
    const outcome = await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    expect(outcome).toMatchObject({ state: 'applied', newValue: 1010 });
    expect(fake.calls.write).toBe(2);
    expect(fake.appliedTo(FEED)).toHaveLength(1);
    expect(auditOf(store, outcome.commandId)).toContain('retried/NOT_CONFIRMED');
  });

  it('keeps reconciling past notAfter: a write that landed is applied, not expired', async () => {
    let now = Date.now();
    const { fake, h } = await start({ fake: faultyTarget('unknown-landed', 1_000_000) }, { now: () => now });
    const notAfter = new Date(now + 100).toISOString();
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1010, notAfter }), SERVICE);
    expect(await h.settle(outcome.commandId, 'reconciling')).toMatchObject({ state: 'reconciling' });
    // Past notAfter on the engine's clock; two more reads show the reconciliation going on.
    now += 150;
    const reads = fake.calls.read;
    await until(() => fake.calls.read >= reads + 2, 'two reconciling reads after notAfter');
    expect((await h.engine.get(outcome.commandId))?.state).toBe('reconciling');
    fake.failReadsNext(-1_000_000);
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'applied', newValue: 1010 });
    expect(fake.calls.write).toBe(1);
  });

  it('lets an operator revert a command that was applied by reconciliation', async () => {
    const { fake, h } = await start({ fake: faultyTarget('unknown-landed', 3) });
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'applied' });
    const revert = await h.engine.revert(outcome.commandId, 'back to baseline', OPERATOR);
    expect(await h.settle(revert.outcome.commandId)).toMatchObject({ state: 'reverted', newValue: 1000 });
    expect(fake.get(FEED)).toBe(1000);
  });

  it('resumes reconciling after a restart without writing', async () => {
    const { fake, h } = await start({ fake: faultyTarget('unknown-landed', 1_000_000) });
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    await h.settle(outcome.commandId, 'reconciling');
    await h.restart();
    fake.failReadsNext(-1_000_000);
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'applied', newValue: 1010 });
    expect(fake.calls.write).toBe(1);
  });

  it('never takes its own reconciled write for an override: no hold, nobody blamed', async () => {
    const { fake, h, store } = await start({ fake: faultyTarget(undefined, 5) });
    expect(await h.submitAndSettle(setRequest(fake, { value: 1010 }))).toMatchObject({ state: 'applied' });
    expect(await h.submitAndSettle(setRequest(fake, { value: 1020 }))).toMatchObject({ state: 'applied' });
    expect(store.audit.filter((r) => r.outcome === 'overridden' || r.reasonCode === 'OVERRIDE_HOLD')).toEqual([]);
  });
});
