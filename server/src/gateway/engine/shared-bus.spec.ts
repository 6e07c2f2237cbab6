/**
 * Two engines on one store and one shared bus, standing for two gateway processes on one
 * database and one Kafka consumer group: whatever one process remembers, the stored command wins.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { orderingKeyOf, type BusCommand } from '../bus/command-bus';
import { DEFAULT_POLICY } from '../domain/guardrails';
import type { ApprovalRule } from '../domain/approval-policy';
import { FakeTarget, type FakeTargetAdapter } from '../testing/fake-target';
import { FAST_RETRY, FEED, OPERATOR, QA, SERVICE, setRequest } from '../testing/harness';
import { ManualSharedBus } from '../testing/manual-shared-bus';
import { MemoryGatewayStore } from '../testing/memory-store';
import { until } from '../testing/until';
import { WriteBackEngine } from './writeback-engine';

const quiet = { warn: () => undefined, error: () => undefined };

interface Gateway {
  engine: WriteBackEngine;
  bus: ManualSharedBus;
  adapter: FakeTargetAdapter;
}

const running: Gateway[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.engine.stop()));
});

async function gateway(store: MemoryGatewayStore, fake: FakeTarget, approvals: ApprovalRule[] = []): Promise<Gateway> {
  const bus = new ManualSharedBus();
  const adapter = fake.connect();
  const engine = new WriteBackEngine({
    store,
    bus,
    targets: [
      {
        instance: fake.instance,
        kind: fake.kind,
        adapter,
        policy: { ...DEFAULT_POLICY, retry: FAST_RETRY },
        approvals,
        shadow: false,
      },
    ],
    logger: quiet,
    sweepIntervalMs: 10,
    overrideWatchIntervalMs: 0,
  });
  await engine.start();
  const g = { engine, bus, adapter };
  running.push(g);
  return g;
}

function messageOf(fake: FakeTarget, commandId: string): BusCommand {
  return {
    commandId,
    orderingKey: orderingKeyOf(fake.instance, FEED.object.type, FEED.object.id, FEED.parameter),
    targetInstance: fake.instance,
  };
}

function signature(signer: string, meaning: 'approved' | 'rejected', recordHash: string) {
  return { signer, signerName: signer.toUpperCase(), meaning, signedAt: new Date().toISOString(), recordHash };
}

describe('engines sharing a bus', () => {
  it('finishes a command another process wrote before it died by reading first, not by writing again', async () => {
    const store = new MemoryGatewayStore();
    const fake = new FakeTarget({ latencyMs: () => 20 });
    fake.set(FEED, 1000);
    const [survivor, victim] = [await gateway(store, fake), await gateway(store, fake)];
    const { outcome } = await survivor.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    const message = messageOf(fake, outcome.commandId);

    // The victim owns the key: its write lands, then the process dies before it hears back.
    void victim.bus.deliver(message);
    await until(() => fake.ledger.length === 1, 'the victim write');
    victim.adapter.kill();
    store.dropClaims();
    expect(store.commands.get(outcome.commandId)).toMatchObject({ state: 'dispatching', attempts: 1 });

    // The survivor, which accepted the command, gets it again after the rebalance.
    await survivor.bus.deliver(message);
    expect(await survivor.engine.get(outcome.commandId)).toMatchObject({ state: 'applied', newValue: 1010 });
    expect(fake.appliedTo(FEED).map((e) => e.externalRef)).toEqual([outcome.commandId]);
    expect(store.audit.filter((r) => r.commandId === outcome.commandId).map((r) => r.outcome)).toEqual([
      'accepted',
      'applied',
    ]);
  });

  it('does nothing with a command another process applied, and reads it as applied', async () => {
    const store = new MemoryGatewayStore();
    const fake = new FakeTarget();
    fake.set(FEED, 1000);
    const [accepting, dispatching] = [await gateway(store, fake), await gateway(store, fake)];
    const { outcome } = await accepting.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    const message = messageOf(fake, outcome.commandId);
    await dispatching.bus.deliver(message);

    await accepting.bus.deliver(message);
    expect(fake.calls.write).toBe(1);
    expect(await accepting.engine.get(outcome.commandId)).toMatchObject({ state: 'applied' });
    await until(() => accepting.engine.queueDepth(fake.instance) === 0, 'the queue depth from the store');
  });

  it('runs a duplicate of an in-flight command after it, never beside it, and writes once', async () => {
    const store = new MemoryGatewayStore();
    const fake = new FakeTarget({ latencyMs: () => 5 });
    fake.set(FEED, 1000);
    const [a, b] = [await gateway(store, fake), await gateway(store, fake)];
    const { outcome } = await a.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    const message = messageOf(fake, outcome.commandId);

    await Promise.all([a.bus.deliver(message), b.bus.deliver(message), a.bus.deliver(message)]);
    expect(fake.calls.write).toBe(1);
    expect(store.audit.filter((r) => r.commandId === outcome.commandId).map((r) => r.outcome)).toEqual([
      'accepted',
      'applied',
    ]);
    expect(store.isClaimed(message.orderingKey)).toBe(false);
  });

  it('waits for the key while another process holds it, and stops waiting on shutdown', async () => {
    const store = new MemoryGatewayStore();
    const fake = new FakeTarget();
    fake.set(FEED, 1000);
    const a = await gateway(store, fake);
    const { outcome } = await a.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    const message = messageOf(fake, outcome.commandId);
    const elsewhere = await store.claimKey(message.orderingKey, new AbortController().signal);

    const delivery = a.bus.deliver(message);
    await until(() => store.claimsWaiting(message.orderingKey) === 1, 'the delivery to wait for the key');
    expect(fake.calls.write).toBe(0);
    await a.engine.stop();
    await expect(delivery).rejects.toThrow(/interrupted/);
    await elsewhere.release();
    expect(fake.calls.write).toBe(0);
  });

  it('lists an approval pending in another process and lets only one signature land', async () => {
    const store = new MemoryGatewayStore();
    const fake = new FakeTarget();
    const approvals: ApprovalRule[] = [{ name: 'lot release', actions: ['release-lot'], requiresQuality: true }];
    const [a, b] = [await gateway(store, fake, approvals), await gateway(store, fake, approvals)];
    const lotRelease = {
      action: 'release-lot' as const,
      object: { type: 'material-lot' as const, id: 'LOT-7' },
      parameter: undefined,
      value: undefined,
    };
    const { outcome } = await a.engine.submit(setRequest(fake, lotRelease), SERVICE);
    expect((await b.engine.pendingApprovals()).map((c) => c.id)).toEqual([outcome.commandId]);

    const hash = outcome.approval!.recordHash!;
    const decisions = await Promise.allSettled([
      a.engine.decide(outcome.commandId, QA, signature('quinn', 'approved', hash)),
      b.engine.decide(outcome.commandId, { ...QA, id: 'quentin' }, signature('quentin', 'rejected', hash)),
    ]);
    expect(decisions.filter((d) => d.status === 'fulfilled')).toHaveLength(1);
    expect(decisions.find((d) => d.status === 'rejected')).toMatchObject({ reason: { code: 'NOT_PENDING' } });
    const decided = store.audit.filter(
      (r) => r.commandId === outcome.commandId && (r.outcome === 'approved' || r.outcome === 'rejected'),
    );
    expect(decided).toHaveLength(1);
    expect(await a.engine.pendingApprovals()).toEqual([]);
  });

  it('holds and shows a target another process marked down, and lets go when that process sees it answer', async () => {
    const store = new MemoryGatewayStore();
    const fake = new FakeTarget();
    fake.set(FEED, 1000);
    fake.unhealthy = 'HTTP_503: maintenance';
    const [a, b] = [await gateway(store, fake), await gateway(store, fake)];
    const { outcome } = await a.engine.submit(setRequest(fake, { value: 1010 }), SERVICE);
    fake.failNext('transient', 'transient', 'transient');
    const delivery = a.bus.deliver(messageOf(fake, outcome.commandId));
    await until(() => a.engine.targetState(fake.instance).down !== undefined, 'the outage marked in a');
    // b dispatched nothing to the target, yet holds its queues and says why, from the store.
    await until(() => b.engine.targetState(fake.instance).down !== undefined, 'the stored verdict in b');
    expect(b.engine.targetState(fake.instance).down).toMatchObject({
      since: a.engine.targetState(fake.instance).down!.since,
      reason: expect.stringMatching(/3 outage signals in a row/),
    });
    expect(b.engine.gate.state(fake.instance)).toBe('down');
    // a's probe finds it healthy: a goes on, b lets go at its next read of the store.
    fake.unhealthy = undefined;
    await delivery;
    expect(await a.engine.get(outcome.commandId)).toMatchObject({ state: 'applied' });
    await until(() => b.engine.targetState(fake.instance).down === undefined, 'the stored up verdict in b');
    expect(b.engine.gate.state(fake.instance)).toBe('open');
  });

  it('takes a pause made through another process at its next sweep', async () => {
    const store = new MemoryGatewayStore();
    const fake = new FakeTarget();
    const [a, b] = [await gateway(store, fake), await gateway(store, fake)];
    await a.engine.setPaused(fake.instance, true, OPERATOR);
    await until(() => b.engine.targetState(fake.instance).paused, 'the pause in the other process');
    await a.engine.setPaused(fake.instance, false, OPERATOR);
    await until(() => !b.engine.targetState(fake.instance).paused, 'the resume in the other process');
  });
});
