import helper from 'node-red-node-test-helper';
import { TARGET_CATALOGUE, type TargetKind, type WriteBackOutcome, type WriteBackRequest } from '@loopgate/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import gatewayNode from '../loopgate-gateway/loopgate-gateway';
import type { NodeAPI } from '../lib/node-red';
import { FakeGateway } from './fake-gateway';
import { onFakeClock } from './clock';
import { Inbox, statusLog, tab } from './flow';

/** One representative use of a target's output node: its edit-dialog values and an input message. */
export interface OutputSample {
  config: Record<string, unknown>;
  msg: Record<string, unknown>;
  /** What the request built from `msg` must contain. */
  expected: Partial<WriteBackRequest>;
  /** An input that cannot become a request, and the issue path it must name. */
  badMsg: Record<string, unknown>;
  badPath: string;
}

export const INFERENCE = {
  inferenceId: 'inf-42',
  modelId: 'tool-wear',
  modelVersion: '3.1',
  score: 0.93,
  timestamp: '2026-01-01T00:00:00.000Z',
  features: {},
  source: 'message',
};
export const RULE = {
  ruleSetId: 'tool-wear-feed-rate',
  ruleSetVersion: 4,
  ruleName: 'reduce-feed',
  event: { type: 'writeback', params: {} },
};

/**
 * The tests every output node passes: happy path with full lineage, bad input, gateway down
 * and configuration validation, against a fake gateway on 127.0.0.1.
 */
export function describeOutputNode(kind: TargetKind, register: (RED: NodeAPI) => void, sample: OutputSample): void {
  const spec = TARGET_CATALOGUE[kind];
  const gateway = new FakeGateway();

  function flow(config: Record<string, unknown> = sample.config, gatewayId = 'gw') {
    return [
      tab(),
      { id: 'gw', type: 'loopgate-gateway', url: gateway.url, timeout: '2' },
      {
        id: 'out',
        type: spec.nodeType,
        z: 'tab1',
        gateway: gatewayId,
        instance: spec.exampleInstance,
        ttl: 2,
        ...config,
        wires: [['result']],
      },
      { id: 'result', type: 'helper', z: 'tab1' },
      { id: 'catcher', type: 'catch', z: 'tab1', scope: null, uncaught: false, wires: [['errors']] },
      { id: 'errors', type: 'helper', z: 'tab1' },
    ];
  }

  async function load(config?: Record<string, unknown>, gatewayId?: string) {
    await helper.load([gatewayNode, register], flow(config, gatewayId), { gw: { token: gateway.token } });
    const out = helper.getNode('out');
    return {
      out,
      status: statusLog(out),
      results: new Inbox(helper.getNode('result')),
      errors: new Inbox(helper.getNode('errors')),
    };
  }

  describe(`${spec.nodeType} (shared output-node behaviour)`, () => {
    beforeAll(() => gateway.start());
    afterAll(() => gateway.stop());
    beforeEach(() => {
      gateway.behaviour = { initialState: 'queued', finalState: 'applied', pollsUntilFinal: 1, failNextPosts: 0 };
      gateway.requests.length = 0;
    });
    afterEach(async () => {
      await helper.unload();
      if (!gateway.running) await gateway.start();
    });

    it('submits a request with full lineage and emits the final outcome', async () => {
      const { out, status, results } = await load();
      out.receive(structuredClone(sample.msg));
      const msg = await results.next();
      const outcome = msg.payload as WriteBackOutcome;
      expect(outcome.state).toBe('applied');
      expect(gateway.requests).toHaveLength(1);
      const request = gateway.requests[0];
      expect(request).toMatchObject({ target: { kind, instance: spec.exampleInstance }, ...sample.expected });
      expect(request.lineage).toEqual({
        flowId: 'tab1',
        flowVersion: '7',
        nodeId: 'out',
        ruleSetId: RULE.ruleSetId,
        ruleSetVersion: RULE.ruleSetVersion,
        ruleName: RULE.ruleName,
        inferenceId: INFERENCE.inferenceId,
        modelId: INFERENCE.modelId,
        modelVersion: INFERENCE.modelVersion,
        score: INFERENCE.score,
      });
      expect(request.requestId.startsWith(`${INFERENCE.inferenceId}:out:`)).toBe(true);
      expect(status.map((s) => s.text)).toEqual(expect.arrayContaining(['queued', expect.stringMatching(/^applied/)]));
    });

    it('sends nothing for a message it cannot turn into a request, and raises a catchable error', async () => {
      const { out, errors } = await load();
      out.receive(structuredClone(sample.badMsg));
      const caught = await errors.next();
      expect((caught.error as { message: string }).message).toContain(sample.badPath);
      expect((caught.writeback as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
      expect(gateway.requests).toHaveLength(0);
    });

    it('reports an unreachable gateway in its status and raises the message as an error, without crashing', async () => {
      const { out, status, errors } = await load({ ...sample.config, ttl: 1 });
      await gateway.stop();
      // The retries back off until the request's time-to-live ends: on a fake clock, not in real time.
      const caught = await onFakeClock(() => {
        out.receive(structuredClone(sample.msg));
        return errors.next(10_000);
      });
      expect((caught.writeback as { error: { code: string } }).error.code).toBe('GATEWAY_UNREACHABLE');
      expect((caught.writeback as { request: WriteBackRequest }).request.target.kind).toBe(kind);
      expect(status.map((s) => s.text)).toContain('gateway unreachable');
      await gateway.start();
    });

    it('refuses to run with an action the target does not offer', async () => {
      const { out, status, errors } = await load({ ...sample.config, action: 'no-such-action' });
      expect(status[0]).toMatchObject({ fill: 'red' });
      out.receive(structuredClone(sample.msg));
      const caught = await errors.next();
      expect((caught.writeback as { error: { code: string } }).error.code).toBe('INVALID_CONFIG');
      expect(gateway.requests).toHaveLength(0);
    });

    it('refuses to run without a gateway configuration', async () => {
      const { out, errors } = await load(sample.config, '');
      out.receive(structuredClone(sample.msg));
      const caught = await errors.next();
      expect((caught.error as { message: string }).message).toContain('no gateway configured');
    });
  });
}
