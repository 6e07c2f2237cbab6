import helper from 'node-red-node-test-helper';
import type { DecisionRecord, RuleResult, RuleSetFile } from '@loopgate/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import gatewayNode from '../loopgate-gateway/loopgate-gateway';
import { FakeGateway } from '../testing/fake-gateway';
import { eventually, Inbox, statusLog, tab } from '../testing/flow';
import { buildFacts } from './facts';
import ruleNode, { parseRuleNodeConfig } from './loopgate-rule';

const SPINDLE = 'ns=1;s=CNC_Cell_01.SpindleLoad';

function toolWear(threshold: number): RuleSetFile {
  return {
    schemaVersion: 1,
    id: 'tool-wear-feed-rate',
    name: 'Tool wear feed-rate compensation',
    facts: [
      { name: 'spindleLoad', type: 'number', unit: '%', source: `opcua:${SPINDLE}` },
      { name: 'toolWearScore', type: 'number', source: 'ai-score.score' },
      { name: 'recommendedFeedRate', type: 'number', source: 'payload.recommendedFeedRate' },
    ],
    rules: [
      {
        name: 'reduce-feed',
        conditions: {
          all: [
            { fact: 'toolWearScore', operator: 'greaterThanInclusive', value: threshold },
            { fact: 'spindleLoad', operator: 'greaterThan', value: 80 },
          ],
        },
        event: {
          type: 'writeback',
          params: { action: 'set-parameter', parameter: 'FeedRate', value: { fact: 'recommendedFeedRate' } },
        },
      },
    ],
  };
}

const inference = {
  inferenceId: 'inf-7',
  modelId: 'tool-wear',
  modelVersion: '3',
  score: 0.82,
  timestamp: '2026-01-01T00:00:00.000Z',
  features: {},
  source: 'message',
};

describe('buildFacts', () => {
  it('collects payload fields, msg.isa95 objects, the inference and OPC UA values, then sourced facts', () => {
    const opcua = new Map<string, unknown>([[SPINDLE, 91]]);
    const facts = buildFacts(
      {
        payload: { recommendedFeedRate: 1104 },
        inference,
        isa95: { equipment: { type: 'equipment', id: 'CNC_Cell_01' } },
      },
      toolWear(0.7).facts,
      opcua,
      { shift: 'B' },
    );
    expect(facts).toEqual({
      recommendedFeedRate: 1104,
      payload: { recommendedFeedRate: 1104 },
      isa95: { equipment: { type: 'equipment', id: 'CNC_Cell_01' } },
      equipment: { type: 'equipment', id: 'CNC_Cell_01' },
      inference,
      score: 0.82,
      opcua: { [SPINDLE]: 91 },
      spindleLoad: 91,
      toolWearScore: 0.82,
      shift: 'B',
    });
  });
});

describe('fact sources as the rule files write them', () => {
  it('reads the first word only, ISA-95 object fields with their hierarchy, and leaves mes: sources to the message', () => {
    const facts = buildFacts(
      {
        payload: { queueDepth: 11, workCenter: 'from-payload' },
        inference: { ...inference, features: { cycleTimeVariance: 18 } },
        isa95: {
          equipment: { type: 'equipment', id: 'CELL-B', equipment: { enterprise: 'Acme', workCenter: 'CELL-B' } },
        },
      },
      [
        { name: 'bottleneckScore', type: 'number', source: 'ai-score.score (model bottleneck)' },
        { name: 'cycleTimeVariance', type: 'number', source: 'ai-score.features.cycleTimeVariance (model bottleneck)' },
        { name: 'workCenter', type: 'string', source: 'isa95-equipment.workCenter' },
        { name: 'equipmentId', type: 'string', source: 'isa95-equipment.id' },
        { name: 'queueDepth', type: 'number', source: 'mes:queue depth of the work center' },
      ],
      new Map(),
      {},
    );
    expect(facts).toMatchObject({
      bottleneckScore: 0.82,
      cycleTimeVariance: 18,
      workCenter: 'CELL-B',
      equipmentId: 'CELL-B',
      queueDepth: 11,
    });
  });
});

describe('parseRuleNodeConfig', () => {
  it.each([
    [{}, 'no rule set chosen'],
    [{ ruleSet: 'x', version: '0' }, 'version must be "latest" or a whole number ≥ 1, got 0'],
    [{ ruleSet: 'x', refresh: '0' }, 'refresh must be at least 1 s, got 0'],
    [{ ruleSet: 'x', facts: [{ value: 'payload' }] }, 'fact mapping 1 has no fact name'],
  ])('rejects %j', (def, problem) => {
    expect(parseRuleNodeConfig(def)).toEqual({ problem });
  });
});

describe('loopgate-rule node', () => {
  const gateway = new FakeGateway();
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());
  beforeEach(() => {
    gateway.reset();
    gateway.publishRuleSet(toolWear(0.9), 3);
    gateway.publishRuleSet(toolWear(0.7), 4);
  });
  afterEach(async () => {
    await helper.unload();
    if (!gateway.running) await gateway.start();
  });

  async function load(node: Record<string, unknown> = {}) {
    await helper.load(
      [gatewayNode, ruleNode],
      [
        tab(),
        { id: 'gw', type: 'loopgate-gateway', url: gateway.url },
        {
          id: 'rule',
          type: 'loopgate-rule',
          z: 'tab1',
          gateway: 'gw',
          ruleSet: 'tool-wear-feed-rate',
          version: 'latest',
          ...node,
          wires: [['fired'], ['debug']],
        },
        { id: 'fired', type: 'helper', z: 'tab1' },
        { id: 'debug', type: 'helper', z: 'tab1' },
        { id: 'catcher', type: 'catch', z: 'tab1', scope: null, wires: [['errors']] },
        { id: 'errors', type: 'helper', z: 'tab1' },
      ],
      { gw: { token: gateway.token } },
    );
    const rule = helper.getNode('rule');
    return {
      rule,
      status: statusLog(rule),
      fired: new Inbox(helper.getNode('fired')),
      debug: new Inbox(helper.getNode('debug')),
      errors: new Inbox(helper.getNode('errors')),
    };
  }

  it('fires one message per event with the rule version and the event params as payload', async () => {
    const { rule, fired, debug } = await load({ allowUndefinedFacts: true });
    rule.receive({ topic: SPINDLE, payload: 91, statusCode: { value: 0 }, sourceTimestamp: new Date() });
    await debug.next();
    expect(fired.messages).toHaveLength(0);
    rule.receive({ payload: { recommendedFeedRate: 1104 }, inference });
    const msg = await fired.next();
    expect(msg.rule).toEqual({
      ruleSetId: 'tool-wear-feed-rate',
      ruleSetVersion: 4,
      ruleName: 'reduce-feed',
      event: { type: 'writeback', params: { action: 'set-parameter', parameter: 'FeedRate', value: 1104 } },
    });
    expect(msg.payload).toEqual({ action: 'set-parameter', parameter: 'FeedRate', value: 1104 });
    expect(msg.inference).toEqual(inference);
  });

  it("carries the OPC UA inputs the decision rests on, with the server's source time and status", async () => {
    const { rule, fired, debug } = await load({ allowUndefinedFacts: true });
    const sourceTimestamp = new Date('2026-12-03T08:00:00.120Z');
    rule.receive({ topic: SPINDLE, payload: 91, statusCode: { value: 0x40000000 }, sourceTimestamp });
    await debug.next();
    rule.receive({ topic: 'ns=1;s=CNC_Cell_01.Other', payload: 5, statusCode: { value: 0 }, sourceTimestamp });
    await debug.next();
    rule.receive({ payload: { recommendedFeedRate: 1104 }, inference });
    const msg = await fired.next();
    expect(msg.inputs).toEqual([{ name: SPINDLE, sourceTime: sourceTimestamp.toISOString(), statusCode: 0x40000000 }]);
  });

  it('sends the per-condition results on output 2', async () => {
    const { rule, debug } = await load();
    rule.receive({ payload: { recommendedFeedRate: 1104, spindleLoad: 60 }, inference });
    const results = ((await debug.next()).payload as { results: RuleResult[] }).results;
    expect(results[0]).toMatchObject({ name: 'reduce-feed', result: false });
    expect(results[0].conditions.map((c) => [c.fact, c.result])).toEqual([
      ['toolWearScore', true],
      ['spindleLoad', false],
    ]);
  });

  it('uses a version the moment the gateway announces it published, not at the next periodic check', async () => {
    const { rule, debug, status } = await load({ refresh: 3600 });
    rule.receive({ payload: { recommendedFeedRate: 1104, spindleLoad: 91 }, inference });
    expect(((await debug.next()).payload as { ruleSetVersion: number }).ruleSetVersion).toBe(4);
    await eventually(() => gateway.openStreams === 1, 'the rule node listening for publications');
    // The second engineer signs version 5; the gateway says so on its stream.
    const published = gateway.publishRuleSet(toolWear(0.95), 5);
    gateway.publishOther('ruleset', {
      type: 'ruleset',
      ruleSet: { ruleSetId: published.ruleSetId, version: 5, checksum: published.checksum },
    });
    await eventually(() => status.some((s) => s.text === 'tool-wear-feed-rate v5'), 'version 5 loaded');
    rule.receive({ payload: { recommendedFeedRate: 1104, spindleLoad: 91 }, inference });
    expect(((await debug.next()).payload as { ruleSetVersion: number }).ruleSetVersion).toBe(5);
  });

  it('evaluates a pinned version', async () => {
    const { rule, fired, debug } = await load({ version: '3' });
    rule.receive({ payload: { recommendedFeedRate: 1104, spindleLoad: 91 }, inference });
    expect(((await debug.next()).payload as { ruleSetVersion: number }).ruleSetVersion).toBe(3);
    expect(fired.messages).toHaveLength(0);
  });

  it('posts a decision record for what-if replay', async () => {
    const { rule, debug } = await load();
    rule.receive({
      payload: { recommendedFeedRate: 1104, spindleLoad: 91 },
      inference: { ...inference, inferenceId: 'inf-decision' },
    });
    await debug.next();
    // Earlier tests' records may still arrive; this one is found by its inference id.
    const ours = () => gateway.decisions.find((d) => d.inferenceId === 'inf-decision');
    await eventually(() => ours() !== undefined, 'the decision record');
    const decision: DecisionRecord = ours()!;
    expect(decision).toMatchObject({
      ruleSetId: 'tool-wear-feed-rate',
      ruleSetVersion: 4,
      flowId: 'tab1',
      nodeId: 'rule',
      facts: { spindleLoad: 91, toolWearScore: 0.82 },
      firedEvents: [{ type: 'writeback', params: { value: 1104 } }],
    });
  });

  it('raises a catchable error naming a missing fact', async () => {
    const { rule, errors } = await load();
    rule.receive({ payload: { recommendedFeedRate: 1104 }, inference });
    const caught = await errors.next();
    expect((caught.error as { message: string }).message).toContain('spindleLoad');
  });

  it('keeps evaluating its cached version while the gateway is down', async () => {
    const { rule, debug, status } = await load({ refresh: '1' });
    rule.receive({ payload: { recommendedFeedRate: 1104, spindleLoad: 91 }, inference });
    await debug.next();
    await gateway.stop();
    // The refresh interval (1 s) passes on the clock alone: the next message asks the gateway again.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 1_100);
      rule.receive({ payload: { recommendedFeedRate: 1104, spindleLoad: 91 }, inference });
      expect(((await debug.next()).payload as { ruleSetVersion: number }).ruleSetVersion).toBe(4);
    } finally {
      vi.useRealTimers();
    }
    await eventually(() => status.at(-1)?.text === 'v4 (cached, gateway unreachable)', 'the stale status');
  });

  it('raises the message as an error when the gateway is down and nothing is cached', async () => {
    await gateway.stop();
    const { rule, errors, status } = await load();
    rule.receive({ payload: { spindleLoad: 91 }, inference });
    const caught = await errors.next();
    expect((caught.error as { message: string }).message).toContain('gateway unreachable');
    expect(status.at(-1)).toMatchObject({ fill: 'red', text: 'gateway unreachable: rule set not loaded' });
  });

  it('raises an error for a rule set the gateway does not have', async () => {
    const { rule, errors } = await load({ ruleSet: 'no-such-set' });
    rule.receive({ payload: {} });
    expect(((await errors.next()).error as { message: string }).message).toContain('404');
  });

  it('refuses to run without a rule set', async () => {
    const { rule, errors, status } = await load({ ruleSet: '' });
    expect(status[0]).toEqual({ fill: 'red', shape: 'ring', text: 'no rule set chosen' });
    rule.receive({ payload: {} });
    expect(((await errors.next()).error as { message: string }).message).toContain('loopgate-rule: no rule set chosen');
  });

  it("lists the gateway's rule sets for the editor through the admin endpoint", async () => {
    await load();
    const list = await helper.request().get('/loopgate/gateways/gw/rulesets');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      { id: 'tool-wear-feed-rate', name: 'Tool wear feed-rate compensation', latestVersion: 4 },
    ]);
    const versions = await helper.request().get('/loopgate/gateways/gw/rulesets/tool-wear-feed-rate/versions');
    expect((versions.body as { version: number }[]).map((v) => v.version)).toEqual([3, 4]);
    const missing = await helper.request().get('/loopgate/gateways/nope/rulesets');
    expect(missing.status).toBe(409);
  });

  it('answers 502 from the admin endpoint when the gateway is down', async () => {
    await load();
    await gateway.stop();
    const list = await helper.request().get('/loopgate/gateways/gw/rulesets');
    expect(list.status).toBe(502);
    expect((list.body as { code: string }).code).toBe('GATEWAY_UNREACHABLE');
  });
});
