import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeTarget } from '../testing/fake-target';
import {
  EngineHarness,
  FEED,
  OPERATOR,
  QA,
  SERVICE,
  setRequest,
  verifyChain,
  type HarnessTarget,
} from '../testing/harness';
import type { MemoryGatewayStore } from '../testing/memory-store';
import { until } from '../testing/until';

let harness: EngineHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(target: Partial<HarnessTarget> & { fake?: FakeTarget } = {}, more: HarnessTarget[] = []) {
  const fake = target.fake ?? new FakeTarget();
  fake.set(FEED, 1000);
  harness = await new EngineHarness([{ ...target, fake }, ...more]).start();
  return { fake, h: harness, store: harness.store as MemoryGatewayStore };
}

const outcomesOf = (store: MemoryGatewayStore, commandId: string) =>
  store.audit.filter((r) => r.commandId === commandId).map((r) => r.outcome);

describe('accepting a request', () => {
  it('applies a set-parameter, reading the prior value and confirming by read-back', async () => {
    const { fake, h, store } = await start();
    const outcome = await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    expect(outcome).toMatchObject({ state: 'applied', priorValue: 1000, newValue: 1010 });
    expect(outcome.mesTransactionId).toMatch(/^TX-/);
    expect(fake.appliedTo(FEED).map((e) => e.value)).toEqual([1010]);
    expect(outcomesOf(store, outcome.commandId)).toEqual(['accepted', 'applied']);
    const applied = store.audit.find((r) => r.commandId === outcome.commandId && r.outcome === 'applied');
    expect(applied).toMatchObject({
      priorValue: 1000,
      newValue: 1010,
      lineage: { inferenceId: expect.any(String) },
      actor: 'gateway',
    });
    expect(applied?.timings?.appliedAt).toBeDefined();
  });

  it('returns the first command for a second request with the same id and writes once', async () => {
    const { fake, h } = await start();
    const request = setRequest(fake, { value: 1010 });
    const [first, second] = await Promise.all([h.engine.submit(request, SERVICE), h.engine.submit(request, SERVICE)]);
    await h.settle(first.outcome.commandId);
    const third = await h.engine.submit(request, SERVICE);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(third).toMatchObject({ created: false, outcome: { commandId: first.outcome.commandId, state: 'applied' } });
    expect(fake.appliedTo(FEED)).toHaveLength(1);
  });

  it('refuses an unknown target instance with UNKNOWN_TARGET, audited', async () => {
    const { fake, h, store } = await start();
    const { outcome } = await h.engine.submit(
      setRequest(fake, { target: { kind: 'opcenter', instance: 'nowhere' } }),
      SERVICE,
    );
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'UNKNOWN_TARGET' });
    expect(outcomesOf(store, outcome.commandId)).toEqual(['rejected']);
  });

  it('refuses a kind that does not match the configured instance', async () => {
    const { fake, h } = await start();
    const { outcome } = await h.engine.submit(
      setRequest(fake, { target: { kind: 'aveva', instance: fake.instance } }),
      SERVICE,
    );
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'UNKNOWN_TARGET' });
  });

  it('names what changed in every audit record: lot status for a hold, the work order a create makes from nothing', async () => {
    const { fake, h, store } = await start();
    const hold = await h.submitAndSettle(
      setRequest(fake, {
        action: 'hold-lot',
        object: { type: 'material-lot', id: 'L7' },
        parameter: undefined,
        value: undefined,
      }),
    );
    expect(hold.state).toBe('applied');
    const holdRecords = store.audit.filter((r) => r.commandId === hold.commandId);
    expect(holdRecords.map((r) => r.parameter)).toEqual(['lot status', 'lot status']);
    const create = await h.submitAndSettle(
      setRequest(fake, {
        action: 'create-maintenance-work-order',
        object: { type: 'equipment', id: 'CNC-01' },
        parameter: undefined,
        value: undefined,
        details: { description: 'spindle bearing' },
      }),
    );
    expect(create.state).toBe('applied');
    const applied = store.audit.find((r) => r.commandId === create.commandId && r.outcome === 'applied');
    expect(applied).toMatchObject({ parameter: 'maintenance work order', priorValue: null });
    // A parameter write keeps its own name.
    const set = await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    expect(store.audit.filter((r) => r.commandId === set.commandId).map((r) => r.parameter)).toEqual([
      'FeedRate',
      'FeedRate',
    ]);
  });

  it('refuses an action the target does not support', async () => {
    const fake = new FakeTarget({ capabilities: { actions: ['set-parameter'] } });
    const { h } = await start({ fake });
    const { outcome } = await h.engine.submit(
      setRequest(fake, {
        action: 'hold-lot',
        object: { type: 'material-lot', id: 'L1' },
        parameter: undefined,
        value: undefined,
      }),
      SERVICE,
    );
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'UNSUPPORTED_ACTION' });
  });
});

describe('guardrails', () => {
  it('never writes a safety-interlock parameter', async () => {
    const { fake, h, store } = await start({ policy: { interlocks: [{ parameter: 'FeedRate' }] } });
    const { outcome } = await h.engine.submit(setRequest(fake), SERVICE);
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'SAFETY_INTERLOCK' });
    expect(fake.calls.write).toBe(0);
    expect(store.audit.at(-1)).toMatchObject({ outcome: 'rejected', reasonCode: 'SAFETY_INTERLOCK' });
  });

  it('refuses a value outside the absolute bounds', async () => {
    const { fake, h } = await start({ policy: { limits: [{ parameter: 'FeedRate', min: 500, max: 1500 }] } });
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1600 }), SERVICE);
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'OUT_OF_BOUNDS' });
  });

  it('refuses a step above the maximum against the value read at dispatch', async () => {
    const { fake, h } = await start({ policy: { limits: [{ parameter: 'FeedRate', maxStepPercent: 2 }] } });
    const outcome = await h.submitAndSettle(setRequest(fake, { value: 1030 }));
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'STEP_TOO_LARGE', priorValue: 1000 });
    expect(fake.calls.write).toBe(0);
  });

  it('refuses writes beyond the maximum per window', async () => {
    const { fake, h } = await start({
      policy: { limits: [{ parameter: 'FeedRate', maxWrites: 2, windowSeconds: 60 }] },
    });
    const results = [];
    for (const value of [1001, 1002, 1003])
      results.push((await h.engine.submit(setRequest(fake, { value }), SERVICE)).outcome);
    expect(results.map((o) => o.reasonCode ?? o.state)).toEqual(['queued', 'queued', 'RATE_LIMITED']);
  });

  it('refuses a write within the cooldown', async () => {
    const { fake, h } = await start({ policy: { limits: [{ parameter: 'FeedRate', cooldownSeconds: 30 }] } });
    await h.engine.submit(setRequest(fake, { value: 1001 }), SERVICE);
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1002 }), SERVICE);
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'COOLDOWN' });
  });

  it('queues exactly maxWrites of 150 concurrent requests to one key (judged in the store, not after an await)', async () => {
    const { fake, h } = await start({
      policy: { limits: [{ parameter: 'FeedRate', maxWrites: 60, windowSeconds: 600 }] },
    });
    const outcomes = await Promise.all(
      Array.from({ length: 150 }, (_, i) => h.engine.submit(setRequest(fake, { value: 1000 + (i % 9) }), SERVICE)),
    );
    const states = outcomes.map((r) => r.outcome.reasonCode ?? r.outcome.state);
    expect(states.filter((s) => s !== 'RATE_LIMITED')).toHaveLength(60);
    expect(states.filter((s) => s === 'RATE_LIMITED')).toHaveLength(90);
  });

  describe('drift budget', () => {
    const budget = (driftAction: 'approval' | 'refuse') => ({
      policy: {
        limits: [{ parameter: 'FeedRate', maxDriftPercent: 15, driftWindowSeconds: 3600, driftAction }],
      },
    });
    /** The demo's slow drift: each AI step 5 % below the one before, each applied before the next. */
    async function steps(h: EngineHarness, fake: FakeTarget, count: number) {
      const outcomes = [];
      let value = 1000;
      for (let i = 0; i < count; i++) {
        value = Math.round(value * 0.95);
        const { outcome } = await h.engine.submit(setRequest(fake, { value }), SERVICE);
        outcomes.push(outcome.state === 'queued' ? await h.settle(outcome.commandId) : outcome);
      }
      return outcomes;
    }

    it('lets small AI steps through until their sum passes the budget, then asks a person', async () => {
      const { fake, h } = await start(budget('approval'));
      const outcomes = await steps(h, fake, 5);
      // 950, 903, 858 stay within 15 % of 1000; 815 (−18.5 %) waits for a signature, as the next one does.
      expect(outcomes.map((o) => o.state)).toEqual([
        'applied',
        'applied',
        'applied',
        'pending-approval',
        'pending-approval',
      ]);
      expect(outcomes[3]).toMatchObject({ reasonCode: 'APPROVAL_REQUIRED' });
      expect(outcomes[3].approval?.rule).toMatch(/^drift budget \(drift 18\.50 % from the baseline 1000/);
      expect(fake.appliedTo(FEED).map((e) => e.value)).toEqual([950, 903, 858]);
    });

    it('refuses the write past the budget when the site says so', async () => {
      const { fake, h } = await start(budget('refuse'));
      const outcomes = await steps(h, fake, 4);
      expect(outcomes.map((o) => o.reasonCode ?? o.state)).toEqual([
        'applied',
        'applied',
        'applied',
        'DRIFT_BUDGET_EXCEEDED',
      ]);
    });

    it("ends the episode at a person's signature: the next AI step is measured from where the value is then", async () => {
      const { fake, h } = await start(budget('approval'));
      const outcomes = await steps(h, fake, 4);
      const pending = outcomes[3];
      const approved = await h.engine.decide(
        pending.commandId,
        OPERATOR,
        signature('olivia', 'approved', pending.approval!.recordHash!),
      );
      expect(approved.state).toBe('queued');
      expect(await h.settle(pending.commandId)).toMatchObject({ state: 'applied' });
      const { outcome } = await h.engine.submit(setRequest(fake, { value: 774 }), SERVICE);
      expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'applied', priorValue: 815 });
    });

    it('does not hold a person back, and asks a person when the value before the episode is unknown', async () => {
      const { fake, h } = await start(budget('approval'));
      const human = await h.submitAndSettle(setRequest(fake, { value: 700, initiator: 'human' }), OPERATOR);
      expect(human.state).toBe('applied');
      fake.failReadsNext(5);
      const { outcome } = await h.engine.submit(setRequest(fake, { value: 690 }), SERVICE);
      expect(outcome).toMatchObject({ state: 'pending-approval' });
      expect(outcome.approval?.rule).toMatch(/cannot be measured/);
    });
  });

  it('refuses a locked record on a target without explicit locks', async () => {
    const { fake, h } = await start();
    fake.records.set('CNC-01/OP20', { locked: true });
    expect(await h.submitAndSettle(setRequest(fake))).toMatchObject({ state: 'rejected', reasonCode: 'RECORD_LOCKED' });
    expect(fake.calls.write).toBe(0);
  });

  it('refuses an audited record', async () => {
    const { fake, h } = await start();
    fake.records.set('CNC-01/OP20', { audited: true });
    expect(await h.submitAndSettle(setRequest(fake))).toMatchObject({ state: 'rejected', reasonCode: 'RECORD_LOCKED' });
  });

  it('expires a request that arrives after its notAfter', async () => {
    const { fake, h } = await start();
    const { outcome } = await h.engine.submit(
      setRequest(fake, { notAfter: new Date(Date.now() - 1).toISOString() }),
      SERVICE,
    );
    expect(outcome).toMatchObject({ state: 'expired', reasonCode: 'EXPIRED' });
  });

  it('expires a queued command while its target is paused, never applying it late', async () => {
    const { fake, h } = await start();
    await h.engine.setPaused(fake.instance, true, OPERATOR);
    const { outcome } = await h.engine.submit(
      setRequest(fake, { notAfter: new Date(Date.now() + 60).toISOString() }),
      SERVICE,
    );
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'expired', reasonCode: 'EXPIRED' });
    await h.engine.setPaused(fake.instance, false, OPERATOR);
    expect(fake.calls.write).toBe(0);
  });

  it('caps notAfter at the target maximum time to live', async () => {
    const { fake, h } = await start({ policy: { maxTtlSeconds: 5 } });
    await h.engine.stopAll(OPERATOR);
    const { outcome } = await h.engine.submit(
      setRequest(fake, { notAfter: new Date(Date.now() + 3_600_000).toISOString() }),
      SERVICE,
    );
    const command = await h.engine.get(outcome.commandId);
    expect(Date.parse(command!.notAfter) - Date.parse(command!.receivedAt)).toBeLessThanOrEqual(5000);
  });

  it('decides and audits in shadow mode but writes nothing', async () => {
    const { fake, h, store } = await start({ shadow: true });
    const outcome = await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    expect(outcome).toMatchObject({ state: 'shadow', reasonCode: 'SHADOW_MODE', priorValue: 1000, newValue: 1010 });
    expect(fake.calls.write).toBe(0);
    expect(outcomesOf(store, outcome.commandId)).toEqual(['accepted', 'shadow']);
  });

  it('turns shadow mode on at run time', async () => {
    const { fake, h } = await start();
    await h.engine.setShadow(fake.instance, true, OPERATOR);
    expect(await h.submitAndSettle(setRequest(fake))).toMatchObject({ state: 'shadow' });
  });
});

describe('pause and kill switch', () => {
  it('holds a paused target while others go on, and resumes in order', async () => {
    const other = new FakeTarget({ instance: 'fake-2' });
    other.set(FEED, 1);
    const { fake, h } = await start({}, [{ fake: other }]);
    await h.engine.setPaused(fake.instance, true, OPERATOR);
    const held = [];
    for (const value of [1001, 1002, 1003])
      held.push((await h.engine.submit(setRequest(fake, { value }), SERVICE)).outcome.commandId);
    expect(await h.submitAndSettle(setRequest(other, { value: 2 }))).toMatchObject({ state: 'applied' });
    expect(fake.calls.write).toBe(0);
    expect(h.engine.targetState(fake.instance)).toMatchObject({ paused: true, queueDepth: 3 });
    await h.engine.setPaused(fake.instance, false, OPERATOR);
    for (const id of held) await h.settle(id);
    expect(fake.appliedTo(FEED).map((e) => e.value)).toEqual([1001, 1002, 1003]);
  });

  it('records nothing for a resume, pause or shadow change that changes nothing', async () => {
    const { fake, h, store } = await start();
    const before = store.audit.length;
    expect(await h.engine.resumeAll(OPERATOR)).toEqual({ stopped: false });
    expect(await h.engine.resumeAll(OPERATOR)).toEqual({ stopped: false });
    await h.engine.setPaused(fake.instance, false, OPERATOR);
    await h.engine.setShadow(fake.instance, false, OPERATOR);
    expect(store.audit.length).toBe(before);
    await h.engine.stopAll(OPERATOR);
    await h.engine.stopAll(OPERATOR);
    await h.engine.resumeAll(OPERATOR);
    await h.engine.resumeAll(OPERATOR);
    expect(store.audit.slice(before).map((r) => r.message)).toEqual(['dispatch stopped', 'dispatch resumed']);
  });

  it('stops all dispatch with the kill switch and resumes in order', async () => {
    const { fake, h, store } = await start();
    expect(await h.engine.stopAll(OPERATOR, 'drill')).toMatchObject({ stopped: true, stoppedBy: 'olivia' });
    const ids: string[] = [];
    for (const value of [1001, 1002])
      ids.push((await h.engine.submit(setRequest(fake, { value }), SERVICE)).outcome.commandId);
    // The first is parked at the closed gate, the second behind it on its key.
    await until(() => h.engine.gate.holding(ids[0]), 'the first command to wait at the kill switch');
    expect(fake.calls.write).toBe(0);
    await h.engine.resumeAll(OPERATOR);
    for (const id of ids) await h.settle(id);
    expect(fake.appliedTo(FEED).map((e) => e.value)).toEqual([1001, 1002]);
    expect(store.audit.filter((r) => r.reasonCode === 'KILL_SWITCH').map((r) => r.outcome)).toEqual([
      'security',
      'security',
    ]);
  });

  it('keeps the kill switch on across a restart', async () => {
    const { fake, h } = await start();
    await h.engine.stopAll(OPERATOR);
    await h.restart();
    expect(h.engine.controlState().stopped).toBe(true);
    const { outcome } = await h.engine.submit(setRequest(fake), SERVICE);
    await until(() => h.engine.gate.holding(outcome.commandId), 'the command to wait at the kill switch');
    expect(fake.calls.write).toBe(0);
  });
});

describe('retries and effectively-once', () => {
  it('waits out transient failures, audited once as waiting, and applies once', async () => {
    const { fake, h, store } = await start();
    fake.failNext('transient', 'transient');
    const outcome = await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    expect(outcome.state).toBe('applied');
    expect(fake.appliedTo(FEED)).toHaveLength(1);
    expect(outcomesOf(store, outcome.commandId)).toEqual(['accepted', 'retried', 'applied']);
    expect(store.audit.find((r) => r.commandId === outcome.commandId && r.outcome === 'retried')).toMatchObject({
      reasonCode: 'TARGET_UNAVAILABLE',
      message: expect.stringMatching(/^waiting for the target to answer/),
    });
  });

  it('holds the key through an outage longer than the attempts: an outage delays, it does not fail', async () => {
    const { fake, h } = await start();
    fake.failNext(...Array.from({ length: 12 }, () => 'transient' as const));
    expect(await h.submitAndSettle(setRequest(fake, { value: 1010 }))).toMatchObject({ state: 'applied' });
    expect(fake.calls.write).toBe(13);
    expect(fake.appliedTo(FEED)).toHaveLength(1);
  });

  it('ends as expired when the outage outlasts notAfter, never applied late', async () => {
    const { fake, h } = await start();
    fake.failNext(...Array.from({ length: 10_000 }, () => 'transient' as const));
    const notAfter = new Date(Date.now() + 150).toISOString();
    expect(await h.submitAndSettle(setRequest(fake, { value: 1010, notAfter }))).toMatchObject({
      state: 'expired',
      reasonCode: 'EXPIRED',
    });
    expect(fake.appliedTo(FEED)).toHaveLength(0);
  });

  it('ends as failed with RETRIES_EXHAUSTED when outages spend attempts (outage: retry)', async () => {
    const { fake, h } = await start({ processing: { outage: 'retry' } });
    fake.failNext('transient', 'transient', 'transient', 'transient');
    expect(await h.submitAndSettle(setRequest(fake))).toMatchObject({
      state: 'failed',
      reasonCode: 'RETRIES_EXHAUSTED',
    });
    expect(fake.calls.write).toBe(4);
  });

  it('does not retry a write the MES rejected', async () => {
    const { fake, h } = await start();
    fake.failNext('rejected');
    expect(await h.submitAndSettle(setRequest(fake))).toMatchObject({ state: 'rejected', reasonCode: 'NOT_WRITABLE' });
    expect(fake.calls.write).toBe(1);
  });

  it('reads before retrying after a timeout whose write landed, and does not write again', async () => {
    const { fake, h } = await start();
    fake.failNext('unknown-landed');
    const outcome = await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    expect(outcome).toMatchObject({ state: 'applied', newValue: 1010 });
    expect(fake.calls.write).toBe(1);
    expect(fake.appliedTo(FEED)).toHaveLength(1);
  });

  it('writes again after a timeout whose write was lost', async () => {
    const { fake, h } = await start();
    fake.failNext('unknown-lost');
    expect(await h.submitAndSettle(setRequest(fake, { value: 1010 }))).toMatchObject({ state: 'applied' });
    expect(fake.calls.write).toBe(2);
    expect(fake.appliedTo(FEED)).toHaveLength(1);
  });

  it('detects a silently dropped write by read-back and applies it on retry', async () => {
    const { fake, h } = await start();
    fake.failNext('drop');
    expect(await h.submitAndSettle(setRequest(fake, { value: 1010 }))).toMatchObject({
      state: 'applied',
      newValue: 1010,
    });
    expect(fake.appliedTo(FEED)).toHaveLength(1);
  });

  it('fails with NOT_CONFIRMED when every write is dropped', async () => {
    const { fake, h } = await start();
    fake.failNext('drop', 'drop', 'drop', 'drop');
    expect(await h.submitAndSettle(setRequest(fake, { value: 1010 }))).toMatchObject({
      state: 'failed',
      reasonCode: 'NOT_CONFIRMED',
    });
    expect(fake.get(FEED)).toBe(1000);
  });

  it('trusts the answer where the target cannot read back', async () => {
    const fake = new FakeTarget({ capabilities: { readBack: false } });
    const { h } = await start({ fake });
    fake.failNext('drop');
    expect(await h.submitAndSettle(setRequest(fake, { value: 1010 }))).toMatchObject({ state: 'applied' });
  });

  it('looks a create up by its external reference before creating again', async () => {
    const { fake, h } = await start();
    fake.failNext('unknown-landed');
    const outcome = await h.submitAndSettle(
      setRequest(fake, {
        action: 'create-maintenance-work-order',
        object: { type: 'equipment', id: 'CNC-01' },
        parameter: undefined,
        value: undefined,
        details: { description: 'bearing' },
      }),
    );
    expect(outcome.state).toBe('applied');
    expect(fake.created.size).toBe(1);
    expect(fake.calls.findCreated).toBeGreaterThanOrEqual(1);
    expect(fake.ledger.filter((e) => e.externalRef === outcome.commandId)).toHaveLength(1);
  });

  it('acquires and releases a lock where the target needs one', async () => {
    const fake = new FakeTarget({ capabilities: { locks: true } });
    const { h } = await start({ fake });
    expect(await h.submitAndSettle(setRequest(fake))).toMatchObject({ state: 'applied' });
    expect(fake.calls.acquireLock).toBe(1);
    expect(fake.calls.releaseLock).toBe(1);
    expect(fake.isLocked(FEED)).toBe(false);
  });

  it('audits a failed lock acquisition and retries it', async () => {
    const fake = new FakeTarget({ capabilities: { locks: true } });
    const { h, store } = await start({ fake });
    fake.failNext('locked');
    const outcome = await h.submitAndSettle(setRequest(fake));
    expect(outcome.state).toBe('applied');
    expect(store.audit.find((r) => r.commandId === outcome.commandId && r.outcome === 'retried')).toMatchObject({
      reasonCode: 'LOCK_UNAVAILABLE',
    });
  });

  it('waits for a lock the operator console holds, says so, and applies once it is released', async () => {
    const fake = new FakeTarget({ capabilities: { locks: true } });
    const { h, store } = await start({ fake });
    fake.holdOperatorLock(FEED);
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    await vi.waitFor(() =>
      expect(store.audit.find((r) => r.commandId === outcome.commandId && r.outcome === 'retried')).toMatchObject({
        reasonCode: 'LOCK_UNAVAILABLE',
        message: expect.stringMatching(/^waiting for lock held by operator-console/),
      }),
    );
    expect(fake.calls.write).toBe(0);
    fake.releaseOperatorLock(FEED);
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'applied', newValue: 1010 });
    expect(fake.appliedTo(FEED)).toHaveLength(1);
  });

  it('expires, never writes, while the operator console holds the lock past notAfter', async () => {
    const fake = new FakeTarget({ capabilities: { locks: true } });
    const { h } = await start({ fake });
    fake.holdOperatorLock(FEED);
    const notAfter = new Date(Date.now() + 150).toISOString();
    expect(await h.submitAndSettle(setRequest(fake, { notAfter }))).toMatchObject({
      state: 'expired',
      message: expect.stringContaining('waiting for lock held by operator-console'),
    });
    expect(fake.calls.write).toBe(0);
  });
});

describe('ordering', () => {
  it('applies commands on one key strictly in accepted order, one in flight', async () => {
    const fake = new FakeTarget({ latencyMs: () => Math.random() * 3 });
    const { h } = await start({ fake });
    const values = Array.from({ length: 30 }, (_, i) => 2000 + i);
    const ids = [];
    for (const value of values)
      ids.push((await h.engine.submit(setRequest(fake, { value }), SERVICE)).outcome.commandId);
    for (const id of ids) await h.settle(id);
    expect(fake.appliedTo(FEED).map((e) => e.value)).toEqual(values);
  });

  it('runs different keys in parallel', async () => {
    let inFlight = 0;
    let most = 0;
    const fake = new FakeTarget({
      latencyMs: () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        setTimeout(() => (inFlight -= 1), 10);
        return 10;
      },
    });
    const { h } = await start({ fake });
    const ids = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (
          await h.engine.submit(
            setRequest(fake, { object: { type: 'recipe-parameter', id: `R${i}` }, value: i }),
            SERVICE,
          )
        ).outcome.commandId,
      );
    }
    for (const id of ids) await h.settle(id);
    expect(most).toBeGreaterThan(1);
  });

  it('dispatches what was queued before a restart, reading first where a write was sent', async () => {
    const fake = new FakeTarget({ latencyMs: () => 5 });
    const { h, store } = await start({ fake });
    await h.engine.stopAll(OPERATOR);
    const ids = [];
    for (const value of [1001, 1002, 1003])
      ids.push((await h.engine.submit(setRequest(fake, { value }), SERVICE)).outcome.commandId);
    await h.engine.resumeAll(OPERATOR);
    await new Promise((resolve) => setTimeout(resolve, 2));
    await h.restart();
    for (const id of ids) await h.settle(id);
    expect(fake.appliedTo(FEED).map((e) => e.value)).toEqual([1001, 1002, 1003]);
    expect(verifyChain(store.audit).ok).toBe(true);
  });
});

describe('approvals', () => {
  const lotRelease = {
    action: 'release-lot' as const,
    object: { type: 'material-lot' as const, id: 'LOT-7' },
    parameter: undefined,
    value: undefined,
  };

  it('holds a lot release as pending until QA signs, then applies it', async () => {
    const { fake, h, store } = await start({
      approvals: [{ name: 'lot release', actions: ['release-lot'], requiresQuality: true }],
    });
    const { outcome } = await h.engine.submit(setRequest(fake, lotRelease), SERVICE);
    expect(outcome).toMatchObject({
      state: 'pending-approval',
      reasonCode: 'APPROVAL_REQUIRED',
      approval: { rule: 'lot release', requiresQuality: true },
    });
    expect((await h.engine.pendingApprovals()).map((c) => c.id)).toEqual([outcome.commandId]);
    const hash = outcome.approval!.recordHash!;
    await expect(
      h.engine.decide(outcome.commandId, OPERATOR, signature('olivia', 'approved', hash)),
    ).rejects.toMatchObject({ code: 'QUALITY_APPROVAL_REQUIRED' });
    const approved = await h.engine.decide(outcome.commandId, QA, signature('quinn', 'approved', hash), 'lot checked');
    expect(approved.state).toBe('queued');
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'applied' });
    expect(outcomesOf(store, outcome.commandId)).toEqual(['pending', 'approved', 'applied']);
    expect(store.audit.find((r) => r.outcome === 'approved')?.signature).toMatchObject({
      signer: 'quinn',
      meaning: 'approved',
      recordHash: hash,
    });
  });

  it('asks for approval of a recipe step above 2 % and lets smaller steps through', async () => {
    const { fake, h } = await start({
      approvals: [{ name: 'step > 2 %', actions: ['set-parameter'], stepPercentAbove: 2 }],
    });
    expect((await h.engine.submit(setRequest(fake, { value: 1030 }), SERVICE)).outcome.state).toBe('pending-approval');
    expect((await h.engine.submit(setRequest(fake, { value: 1010 }), SERVICE)).outcome.state).toBe('queued');
  });

  it('asks a person once for the same AI proposal repeated while it waits, and counts the repeats', async () => {
    const { fake, h, store } = await start({
      approvals: [{ name: 'step > 2 %', actions: ['set-parameter'], stepPercentAbove: 2 }],
    });
    const first = (await h.engine.submit(setRequest(fake, { value: 1030 }), SERVICE)).outcome;
    const again = await h.engine.submit(setRequest(fake, { value: 1030 }), SERVICE);
    const third = await h.engine.submit(setRequest(fake, { value: 1030 }), SERVICE);
    expect(again).toMatchObject({ created: false, outcome: { commandId: first.commandId } });
    expect(third.outcome.approval).toMatchObject({ asked: 3, recordHash: first.approval!.recordHash });
    // Another value, or the same value from another caller, is another change to sign.
    const other = (await h.engine.submit(setRequest(fake, { value: 1040 }), SERVICE)).outcome;
    const person = (await h.engine.submit(setRequest(fake, { value: 1030, initiator: 'human' }), OPERATOR)).outcome;
    expect(new Set([first.commandId, other.commandId, person.commandId]).size).toBe(3);
    expect((await h.engine.pendingApprovals()).map((c) => c.id)).toEqual([
      first.commandId,
      other.commandId,
      person.commandId,
    ]);
    // One record per change, not per request; the signature still binds to the hash first shown.
    expect(store.audit.filter((r) => r.outcome === 'pending')).toHaveLength(3);
    await h.engine.decide(first.commandId, OPERATOR, signature('olivia', 'approved', first.approval!.recordHash!));
    expect(await h.settle(first.commandId)).toMatchObject({ state: 'applied' });
    // Signed: the next proposal of the same value is a new change.
    const next = (await h.engine.submit(setRequest(fake, { value: 1061 }), SERVICE)).outcome;
    expect(next.commandId).not.toBe(first.commandId);
  });

  it('refuses a step above the hard stop at once instead of asking a person to sign it first', async () => {
    const { fake, h, store } = await start({
      approvals: [{ name: 'step > 5 %', actions: ['set-parameter'], stepPercentAbove: 5 }],
      policy: { limits: [{ parameter: 'FeedRate', maxStepPercent: 10 }] },
    });
    // 12 %: above the 10 % hard stop; nobody is asked.
    const large = (await h.engine.submit(setRequest(fake, { value: 1120 }), SERVICE)).outcome;
    expect(large).toMatchObject({ state: 'rejected', reasonCode: 'STEP_TOO_LARGE' });
    expect(store.audit.filter((r) => r.commandId === large.commandId).map((r) => r.outcome)).toEqual(['rejected']);
    // 8 %: within the hard stop, above the approval rule.
    expect((await h.engine.submit(setRequest(fake, { value: 1080 }), SERVICE)).outcome.state).toBe('pending-approval');
    // The target does not answer: unknown is not a refusal; step and approval are judged at dispatch.
    fake.failReadsNext(1);
    expect((await h.engine.submit(setRequest(fake, { value: 1120 }), SERVICE)).outcome.state).toBe('queued');
  });

  it('ends a rejected command with APPROVAL_REJECTED and writes nothing', async () => {
    const { fake, h } = await start({ approvals: [{ name: 'all', actions: ['set-parameter'] }] });
    const { outcome } = await h.engine.submit(setRequest(fake), SERVICE);
    const rejected = await h.engine.decide(
      outcome.commandId,
      OPERATOR,
      signature('olivia', 'rejected', outcome.approval!.recordHash!),
    );
    expect(rejected).toMatchObject({ state: 'rejected', reasonCode: 'APPROVAL_REJECTED' });
    expect(fake.calls.write).toBe(0);
  });

  it('does not let the requester of a human-initiated change approve it', async () => {
    const { fake, h } = await start({ approvals: [{ name: 'all', actions: ['set-parameter'] }] });
    const { outcome } = await h.engine.submit(setRequest(fake, { initiator: 'human' }), OPERATOR);
    await expect(h.engine.checkSigner(outcome.commandId, OPERATOR)).rejects.toMatchObject({
      code: 'SELF_APPROVAL',
      status: 403,
    });
    await expect(h.engine.checkSigner(outcome.commandId, QA)).resolves.toBeDefined();
  });

  it('expires a pending command nobody signed', async () => {
    const { fake, h, store } = await start({
      approvals: [{ name: 'all', actions: ['set-parameter'], expiresAfterSeconds: 0.05 }],
    });
    const { outcome } = await h.engine.submit(setRequest(fake), SERVICE);
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'expired', reasonCode: 'APPROVAL_EXPIRED' });
    expect(outcomesOf(store, outcome.commandId)).toEqual(['pending', 'expired']);
  });

  it('refuses to sign a command that is not pending', async () => {
    const { fake, h } = await start();
    const outcome = await h.submitAndSettle(setRequest(fake));
    await expect(h.engine.checkSigner(outcome.commandId, QA)).rejects.toMatchObject({
      code: 'NOT_PENDING',
      status: 409,
    });
  });
});

describe('refusals that lift by themselves', () => {
  it('tells the caller when a rate-limited key takes the write again', async () => {
    const { fake, h } = await start({
      policy: { limits: [{ parameter: 'FeedRate', maxWrites: 2, windowSeconds: 60 }] },
    });
    const first = await h.engine.submit(setRequest(fake, { value: 1001 }), SERVICE);
    await h.engine.submit(setRequest(fake, { value: 1002 }), SERVICE);
    const { outcome } = await h.engine.submit(setRequest(fake, { value: 1003 }), SERVICE);
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'RATE_LIMITED' });
    const firstAt = Date.parse((await h.engine.get(first.outcome.commandId))!.decidedAt!);
    expect(Math.abs(Date.parse(outcome.blockedUntil!) - (firstAt + 60_000))).toBeLessThan(50);
    // Not part of the record: the stored command says what happened, not advice.
    expect((await h.engine.get(outcome.commandId)) as object).not.toHaveProperty('blockedUntil');
  });
});

describe('AI episodes', () => {
  it('reverts the AI steps since a person last wrote the key in one command, to the value before them', async () => {
    const { fake, h, store } = await start();
    const person = await h.submitAndSettle(setRequest(fake, { value: 1000, initiator: 'human' }), OPERATOR);
    const steps = [];
    for (const value of [960, 920, 880]) steps.push(await h.submitAndSettle(setRequest(fake, { value })));
    const episode = await h.engine.episodeOf(steps[1].commandId);
    expect(episode).toMatchObject({
      commandIds: steps.map((s) => s.commandId),
      valueBefore: 1000,
      currentValue: 880,
      open: true,
    });
    expect(episode.commandIds).not.toContain(person.commandId);

    const {
      created,
      outcome,
      episode: undone,
    } = await h.engine.revertEpisode(steps[0].commandId, 'feed rate drifted', OPERATOR);
    expect(created).toBe(true);
    expect(await h.settle(outcome.commandId)).toMatchObject({
      state: 'reverted',
      revertOf: steps[2].commandId,
      priorValue: 880,
      newValue: 1000,
      initiator: 'human',
    });
    expect(undone.revertedBy).toBe(outcome.commandId);
    expect(fake.appliedTo(FEED).map((e) => e.value)).toEqual([1000, 960, 920, 880, 1000]);
    for (const step of steps) expect((await h.engine.get(step.commandId))?.revertedBy).toBe(outcome.commandId);
    // Asked again, from any step: the same revert, nothing new written.
    const again = await h.engine.revertEpisode(steps[1].commandId, 'again', OPERATOR);
    expect(again).toMatchObject({ created: false, outcome: { commandId: outcome.commandId } });
    expect((await h.engine.episodeOf(steps[2].commandId)).commandIds).toEqual(steps.map((s) => s.commandId));
    expect(store.audit.filter((r) => r.commandId === outcome.commandId).map((r) => r.reasonCode)).toContain('REVERT');
  });

  it('refuses to revert an episode a person wrote after, and a write that is not the AI’s', async () => {
    // No hold after a revert here: the AI's next write is what this case looks at.
    const { fake, h } = await start({ policy: { revertHoldSeconds: 0 } });
    const ai = await h.submitAndSettle(setRequest(fake, { value: 980 }));
    const person = await h.submitAndSettle(setRequest(fake, { value: 990, initiator: 'human' }), OPERATOR);
    expect(await h.engine.episodeOf(ai.commandId)).toMatchObject({ open: false, valueBefore: 1000 });
    await expect(h.engine.revertEpisode(ai.commandId, 'x', OPERATOR)).rejects.toMatchObject({
      code: 'EPISODE_ENDED',
      status: 409,
    });
    await expect(h.engine.episodeOf(person.commandId)).rejects.toMatchObject({ code: 'NOT_IN_EPISODE' });
    // A step reverted on its own ends the run: the next AI write starts a new episode.
    const next = await h.submitAndSettle(setRequest(fake, { value: 970 }));
    await h.settle((await h.engine.revert(next.commandId, 'one step', OPERATOR)).outcome.commandId);
    const after = await h.submitAndSettle(setRequest(fake, { value: 975 }));
    expect(await h.engine.episodeOf(after.commandId)).toMatchObject({
      commandIds: [after.commandId],
      valueBefore: 990,
    });
  });
});

describe('operator authority', () => {
  it("holds the AI's writes to a key after a person reverted it, as after an override; people still write", async () => {
    const { fake, h, store } = await start({ policy: { overrideHoldSeconds: 60 } });
    const steps = [];
    for (const value of [960, 920, 880]) steps.push(await h.submitAndSettle(setRequest(fake, { value })));
    const { outcome } = await h.engine.revertEpisode(steps[0].commandId, 'feed rate drifted', OPERATOR);
    expect(await h.settle(outcome.commandId)).toMatchObject({ state: 'reverted', newValue: 1000 });
    const { outcome: held } = await h.engine.submit(setRequest(fake, { value: 960 }), SERVICE);
    expect(held).toMatchObject({ state: 'rejected', reasonCode: 'OVERRIDE_HOLD' });
    expect(held.message).toContain('reverted');
    const blockedUntil = Date.parse(held.blockedUntil!);
    expect(blockedUntil - Date.now()).toBeGreaterThan(50_000);
    expect(blockedUntil - Date.now()).toBeLessThanOrEqual(60_000);
    // The hold is stored with the key's last write, so every gateway process judges it.
    const key = (await h.engine.get(steps[0].commandId))!.orderingKey;
    expect(store.keyStates.get(key)?.holdUntil).toBe(held.blockedUntil);
    expect(fake.appliedTo(FEED).map((e) => e.value)).toEqual([960, 920, 880, 1000]);
    const person = await h.submitAndSettle(setRequest(fake, { value: 990, initiator: 'human' }), OPERATOR);
    expect(person.state).toBe('applied');
  });

  it('holds for revertHoldSeconds when the site sets it apart from the override hold, and not at all at 0', async () => {
    const { fake, h } = await start({ policy: { overrideHoldSeconds: 600, revertHoldSeconds: 0 } });
    const applied = await h.submitAndSettle(setRequest(fake, { value: 960 }));
    await h.settle((await h.engine.revert(applied.commandId, 'one step', OPERATOR)).outcome.commandId);
    expect((await h.submitAndSettle(setRequest(fake, { value: 970 }))).state).toBe('applied');
  });

  it('reverts an applied write through the same ordered path, linked and audited', async () => {
    const { fake, h, store } = await start();
    const applied = await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    const { created, outcome } = await h.engine.revert(applied.commandId, 'operator saw chatter', OPERATOR);
    expect(created).toBe(true);
    const reverted = await h.settle(outcome.commandId);
    expect(reverted).toMatchObject({
      state: 'reverted',
      reasonCode: 'REVERT',
      revertOf: applied.commandId,
      priorValue: 1010,
      newValue: 1000,
      initiator: 'human',
      requestedBy: 'olivia',
    });
    expect(fake.get(FEED)).toBe(1000);
    expect((await h.engine.get(applied.commandId))?.revertedBy).toBe(outcome.commandId);
    expect(store.audit.find((r) => r.commandId === outcome.commandId && r.outcome === 'reverted')).toMatchObject({
      actor: 'olivia',
      reasonCode: 'REVERT',
    });
    const again = await h.engine.revert(applied.commandId, 'again', OPERATOR);
    expect(again).toMatchObject({ created: false, outcome: { commandId: outcome.commandId } });
  });

  it('refuses to revert a command that was not applied', async () => {
    const { fake, h } = await start({ policy: { interlocks: [{ parameter: 'FeedRate' }] } });
    const { outcome } = await h.engine.submit(setRequest(fake), SERVICE);
    await expect(h.engine.revert(outcome.commandId, 'x', OPERATOR)).rejects.toMatchObject({
      code: 'NOT_REVERTIBLE',
      status: 409,
    });
  });

  it('audits an external change by the user the target names and holds AI writes to that key', async () => {
    const { fake, h, store } = await start({ policy: { overrideHoldSeconds: 60 } });
    const first = await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    fake.operatorSet(FEED, 990, 'jdoe');
    const held = await h.submitAndSettle(setRequest(fake, { value: 1020 }));
    expect(held).toMatchObject({ state: 'rejected', reasonCode: 'OVERRIDE_HOLD' });
    expect(store.audit.find((r) => r.outcome === 'overridden')).toMatchObject({
      commandId: first.commandId,
      reasonCode: 'EXTERNAL_CHANGE',
      actor: 'jdoe',
      priorValue: 1010,
      newValue: 990,
    });
    const early = await h.engine.submit(setRequest(fake, { value: 1020 }), SERVICE);
    expect(early.outcome).toMatchObject({ state: 'rejected', reasonCode: 'OVERRIDE_HOLD' });
    const human = await h.submitAndSettle(setRequest(fake, { value: 995, initiator: 'human' }), OPERATOR);
    expect(human.state).toBe('applied');
    expect(store.audit.filter((r) => r.outcome === 'overridden')).toHaveLength(1);
  });
});

describe('override watch', () => {
  it('audits an operator override when it happens, without waiting for the next write', async () => {
    const fake = new FakeTarget();
    fake.set(FEED, 1000);
    harness = await new EngineHarness([{ fake, policy: { overrideHoldSeconds: 60 } }], undefined, {
      overrideWatchIntervalMs: 10,
    }).start();
    const store = harness.store as MemoryGatewayStore;
    const applied = await harness.submitAndSettle(setRequest(fake, { value: 1010 }));
    fake.operatorSet(FEED, 985);
    const deadline = Date.now() + 2000;
    while (!store.audit.some((r) => r.outcome === 'overridden') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(store.audit.filter((r) => r.outcome === 'overridden')).toEqual([
      expect.objectContaining({
        commandId: applied.commandId,
        priorValue: 1010,
        newValue: 985,
        reasonCode: 'EXTERNAL_CHANGE',
        actor: 'unknown',
        message: expect.stringContaining('the target does not say by whom'),
      }),
    ]);
    const { outcome } = await harness.engine.submit(setRequest(fake, { value: 1020 }), SERVICE);
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'OVERRIDE_HOLD' });
  });
});

describe('audit trail', () => {
  it('keeps a verifiable chain across everything that happened', async () => {
    const { fake, h, store } = await start();
    fake.failNext('transient', 'unknown-landed');
    await h.submitAndSettle(setRequest(fake, { value: 1010 }));
    await h.engine.submit(
      setRequest(fake, { value: 99_999, parameter: 'x', notAfter: new Date(0).toISOString() }),
      SERVICE,
    );
    expect(verifyChain(store.audit)).toEqual({ ok: true, checked: store.audit.length });
  });
});

function signature(signer: string, meaning: 'approved' | 'rejected', recordHash: string) {
  return { signer, signerName: signer.toUpperCase(), meaning, signedAt: new Date().toISOString(), recordHash };
}
