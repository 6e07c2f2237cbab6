import helper from 'node-red-node-test-helper';
import type { WriteBackOutcome } from '@loopgate/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import gatewayNode from '../loopgate-gateway/loopgate-gateway';
import { FakeGateway } from '../testing/fake-gateway';
import { eventually, Inbox, statusLog, tab } from '../testing/flow';
import { onFakeClock } from '../testing/clock';
import outcomeNode, { matchesFilter, parseOutcome } from './writeback-outcome';

function outcome(overrides: Partial<WriteBackOutcome> = {}): WriteBackOutcome {
  return {
    commandId: 'cmd-1',
    requestId: 'inf-1:out:set-parameter:CNC_Cell_01/OP20:FeedRate',
    state: 'applied',
    target: { kind: 'opcenter', instance: 'opcenter-demo' },
    object: { type: 'recipe-parameter', id: 'CNC_Cell_01/OP20' },
    action: 'set-parameter',
    initiator: 'ai',
    lineage: { flowId: 'tab1' },
    timings: { receivedAt: '2026-01-01T00:00:00.000Z' },
    ...overrides,
  };
}

describe('outcome events', () => {
  it("parses the gateway's stream messages and bare outcomes, and ignores anything else", () => {
    expect(parseOutcome(JSON.stringify({ type: 'outcome', outcome: outcome() }))).toEqual(outcome());
    expect(parseOutcome(JSON.stringify(outcome()))).toEqual(outcome());
    expect(parseOutcome(JSON.stringify({ type: 'decision', decision: {} }))).toBeUndefined();
    expect(parseOutcome('{"commandId":"x","state":"exploded"}')).toBeUndefined();
    expect(parseOutcome('not json')).toBeUndefined();
  });

  it('filters by instance, final state and flow', () => {
    expect(matchesFilter(outcome(), { instance: 'other', finalOnly: false })).toBe(false);
    expect(matchesFilter(outcome({ state: 'queued' }), { finalOnly: true })).toBe(false);
    expect(matchesFilter(outcome(), { finalOnly: true, flowId: 'tab2' })).toBe(false);
    expect(matchesFilter(outcome(), { instance: 'opcenter-demo', finalOnly: true, flowId: 'tab1' })).toBe(true);
  });
});

describe('writeback-outcome node', () => {
  const gateway = new FakeGateway();
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());
  beforeEach(() => gateway.reset());
  afterEach(async () => {
    await helper.unload();
    if (!gateway.running) await gateway.start();
  });

  async function load(node: Record<string, unknown> = {}, token = gateway.token) {
    await helper.load(
      [gatewayNode, outcomeNode],
      [
        tab(),
        { id: 'gw', type: 'loopgate-gateway', url: gateway.url },
        { id: 'in', type: 'writeback-outcome', z: 'tab1', gateway: 'gw', ...node, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab1' },
      ],
      { gw: { token } },
    );
    const node_ = helper.getNode('in');
    return { node: node_, status: statusLog(node_), out: new Inbox(helper.getNode('out')) };
  }

  it('streams outcomes into the flow with a target/object/state topic', async () => {
    const { out } = await load();
    await eventually(() => gateway.openStreams === 1, 'the stream to open');
    gateway.publishOutcome(outcome());
    const msg = await out.next();
    expect(msg).toMatchObject({ topic: 'opcenter-demo/CNC_Cell_01/OP20/applied', payload: outcome() });
  });

  it('accepts bare outcomes on unnamed events too, and ignores other stream messages', async () => {
    const { out } = await load();
    await eventually(() => gateway.openStreams === 1, 'the stream to open');
    gateway.publishOther('heartbeat', { time: new Date().toISOString() });
    gateway.publishOther('control', { type: 'control', control: { stopped: true } });
    gateway.publishOutcome(outcome({ commandId: 'cmd-2' }), 'bare');
    expect(((await out.next()).payload as WriteBackOutcome).commandId).toBe('cmd-2');
    expect(out.messages).toHaveLength(1);
  });

  it('asks the gateway for one target only when filtering by target', async () => {
    await load({ instance: 'opcenter-demo' });
    await eventually(() => gateway.hits.includes('GET /outcomes/stream?target=opcenter-demo'), 'the filtered stream');
  });

  it('passes only final outcomes when asked', async () => {
    const { out } = await load({ finalOnly: true });
    await eventually(() => gateway.openStreams === 1, 'the stream to open');
    gateway.publishOutcome(outcome({ state: 'queued' }));
    gateway.publishOutcome(outcome({ state: 'rejected', reasonCode: 'OUT_OF_BOUNDS' }));
    expect(((await out.next()).payload as WriteBackOutcome).state).toBe('rejected');
    expect(out.messages).toHaveLength(1);
  });

  it('reconnects after the gateway restarts and delivers what comes next', async () => {
    const { out, status } = await load();
    await eventually(() => gateway.openStreams === 1, 'the stream to open');
    // The reconnection waits out its delay on a fake clock.
    await onFakeClock(async () => {
      await gateway.stop();
      await eventually(() => status.some((s) => s.text === 'gateway unreachable, reconnecting'), 'reconnecting status');
      await gateway.start();
      await eventually(() => gateway.openStreams === 1, 'the stream to reopen', 10_000);
    });
    gateway.publishOutcome(outcome({ commandId: 'after-restart' }));
    expect(((await out.next()).payload as WriteBackOutcome).commandId).toBe('after-restart');
    expect(status.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'connected' });
  });

  it('shows a refused stream (wrong token) in its status and keeps trying', async () => {
    // The retry after a refusal waits out its delay on a fake clock, from the start.
    await onFakeClock(async () => {
      const { status } = await load({}, 'wrong-token');
      await eventually(() => status.some((s) => s.text?.startsWith('stream refused: 401')), 'refused status');
      const attempts = gateway.hits.filter((h) => h === 'GET /outcomes/stream').length;
      await eventually(
        () => gateway.hits.filter((h) => h === 'GET /outcomes/stream').length > attempts,
        'a second attempt',
        5_000,
      );
    });
  });

  it('shows a missing gateway configuration', async () => {
    await helper.load(outcomeNode, [{ id: 'in', type: 'writeback-outcome', gateway: '' }]);
    expect(statusLog(helper.getNode('in'))[0]).toEqual({ fill: 'red', shape: 'ring', text: 'no gateway configured' });
  });
});
