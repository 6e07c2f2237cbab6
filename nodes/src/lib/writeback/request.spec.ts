import type { WriteBackRequest } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import type { TypedValue } from '../typed-value';
import { TARGET_CATALOGUE } from '@loopgate/contracts';
import { buildWriteBackRequest, parseOutputConfig, type OutputConfig } from './request';

const now = new Date('2026-03-01T10:00:00.000Z');
// A stand-in for Node-RED's evaluator: `msg` paths into the message, everything else literal.
const evaluatorFor = (msg: Record<string, unknown>) => async (prop: TypedValue) => {
  if (prop.value === '') return undefined;
  if (prop.type !== 'msg') return prop.type === 'num' ? Number(prop.value) : prop.value;
  return prop.value.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], msg);
};

function config(def: Record<string, unknown>): OutputConfig {
  const parsed = parseOutputConfig({ instance: 'opcenter-demo', ...def }, TARGET_CATALOGUE.opcenter);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

async function build(def: Record<string, unknown>, msg: Record<string, unknown>) {
  return buildWriteBackRequest(msg, {
    spec: TARGET_CATALOGUE.opcenter,
    config: config(def),
    position: { flowId: 'f', flowVersion: '2', nodeId: 'n' },
    evaluate: evaluatorFor(msg),
    now,
  });
}

describe('parseOutputConfig', () => {
  it("defaults the object type to the action's first, the ttl to 60 s and waits for the outcome", () => {
    expect(config({ action: 'hold-lot' })).toMatchObject({
      objectType: 'material-lot',
      ttlSeconds: 60,
      waitForOutcome: true,
    });
  });

  it('names each invalid field', () => {
    const parsed = parseOutputConfig(
      { action: 'hold-lot', objectType: 'equipment', ttl: 0 },
      TARGET_CATALOGUE.opcenter,
    );
    expect((parsed as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([
      '$.objectType',
      '$.instance',
      '$.ttl',
    ]);
  });

  it('refuses an action the target does not offer', () => {
    const parsed = parseOutputConfig(
      { instance: 'x', action: 'create-maintenance-work-order' },
      TARGET_CATALOGUE.opcenter,
    );
    expect((parsed as { issues: { message: string }[] }).issues[0].message).toContain(
      'must be one of set-parameter, reroute-work-order',
    );
  });
});

describe('buildWriteBackRequest', () => {
  it('builds a set-parameter request from the recipe parameter in msg.isa95', async () => {
    const result = await build(
      { action: 'set-parameter', objectType: 'recipe-parameter' },
      {
        _msgid: 'm1',
        isa95: {
          recipeParameter: {
            type: 'recipe-parameter',
            id: 'CNC_Cell_01/OP20',
            parameter: 'FeedRate',
            value: 1104,
            dataType: 'double',
          },
        },
      },
    );
    expect(result).toEqual({
      success: true,
      value: {
        requestId: 'msg-m1:n:set-parameter:CNC_Cell_01/OP20:FeedRate',
        lineage: { flowId: 'f', flowVersion: '2', nodeId: 'n' },
        target: { kind: 'opcenter', instance: 'opcenter-demo' },
        object: { type: 'recipe-parameter', id: 'CNC_Cell_01/OP20' },
        action: 'set-parameter',
        parameter: 'FeedRate',
        value: 1104,
        reason: 'Set parameter from opcenter-out n',
        notAfter: '2026-03-01T10:01:00.000Z',
      } satisfies WriteBackRequest,
    });
  });

  it('sends the inference time as the event time, for decision latency', async () => {
    const result = await build(
      { action: 'hold-lot', objectId: 'LOT-1' },
      { inference: { inferenceId: 'i', timestamp: '2026-03-01T09:59:58.250Z' } },
    );
    expect((result as { value: WriteBackRequest }).value.eventTime).toBe('2026-03-01T09:59:58.250Z');
  });

  it('refuses a target instance the gateway could not have', async () => {
    const result = await build({ action: 'hold-lot', objectId: 'LOT-1', instance: 'opcenter demo' }, {});
    expect((result as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['$.target.instance']);
  });

  it('explains a rule-driven change by its rule in the default reason', async () => {
    const result = await build(
      { action: 'hold-lot', objectId: 'LOT-1' },
      { rule: { ruleSetId: 'incoming-lot-hold', ruleSetVersion: 2, ruleName: 'scrap-correlation' } },
    );
    expect((result as { value: WriteBackRequest }).value.reason).toBe('rule scrap-correlation of incoming-lot-hold v2');
  });

  it('sends no value for actions without one, even when the message has one', async () => {
    const result = await build(
      { action: 'release-lot', objectId: 'LOT-1', value: 'payload', valueType: 'msg' },
      { payload: 5 },
    );
    expect((result as { value: WriteBackRequest }).value).not.toHaveProperty('value');
  });

  it.each([
    [
      { action: 'set-parameter', objectId: 'R', parameter: 'P', value: 'payload', valueType: 'msg' },
      { payload: [1] },
      '$.value',
    ],
    [{ action: 'set-parameter', objectId: 'R', value: 'payload', valueType: 'msg' }, { payload: 1 }, '$.parameter'],
    [{ action: 'reroute-work-order', objectId: 'WO-1' }, {}, '$.details.workCenter'],
    [
      {
        action: 'reroute-work-order',
        objectId: 'WO-1',
        details: { workCenter: { value: 'C' }, operations: { value: 'payload', valueType: 'msg' } },
      },
      { payload: 'three' },
      '$.details.operations',
    ],
    [{ action: 'hold-lot', objectId: 'payload.lot', objectIdType: 'msg' }, { payload: {} }, '$.object.id'],
  ])('refuses %j with %j at %s', async (def, msg, path) => {
    const result = await build(def, msg);
    expect((result as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(path);
  });

  it('reports a typed input that fails to evaluate', async () => {
    const result = await buildWriteBackRequest(
      {},
      {
        spec: TARGET_CATALOGUE.opcenter,
        config: config({ action: 'hold-lot', objectId: 'x' }),
        position: { nodeId: 'n' },
        evaluate: async (prop) => {
          if (prop.value === 'x') throw new Error('bad expression');
          return undefined;
        },
        now,
      },
    );
    expect(result).toEqual({
      success: false,
      issues: [{ code: 'EVALUATION_FAILED', path: '$.objectId', message: 'str x: bad expression' }],
    });
  });
});

describe('effect checks', () => {
  const feed = { action: 'set-parameter', objectId: 'R', parameter: 'FeedRate', value: 'payload', valueType: 'msg' };

  it('sends none while the node names no KPI', async () => {
    const result = await build(feed, { payload: 1100 });
    expect((result as { value: WriteBackRequest }).value).not.toHaveProperty('effectCheck');
  });

  it("sends the node's effect check: KPI, expected direction, window and tolerance", async () => {
    const result = await build(
      {
        ...feed,
        effectKpi: 'spindleLoad:{object}',
        effectExpected: 'decrease',
        effectWindow: '120',
        effectTolerance: 2,
      },
      { payload: 1100 },
    );
    expect((result as { value: WriteBackRequest }).value.effectCheck).toEqual({
      kpi: 'spindleLoad:{object}',
      expected: 'decrease',
      windowSeconds: 120,
      tolerance: 2,
    });
  });

  it("takes a rule event's msg.effectCheck over the node's, with the window and tolerance defaulted", async () => {
    const result = await build(
      { ...feed, effectKpi: 'spindleLoad:{object}' },
      { payload: 1100, effectCheck: { kpi: 'scrapRate', expected: 'increase' } },
    );
    expect((result as { value: WriteBackRequest }).value.effectCheck).toEqual({
      kpi: 'scrapRate',
      expected: 'increase',
      windowSeconds: 300,
      tolerance: 0,
    });
  });

  it('names a bad effect check at deploy and in a message, and sends nothing', async () => {
    const parsed = parseOutputConfig(
      { instance: 'x', ...feed, effectKpi: 'load', effectExpected: 'sideways', effectWindow: 1.5 },
      TARGET_CATALOGUE.opcenter,
    );
    expect((parsed as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([
      '$.effectExpected',
      '$.effectWindow',
    ]);
    const result = await build(feed, { payload: 1100, effectCheck: { kpi: '', expected: 'decrease', tolerance: -1 } });
    expect((result as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([
      '$.msg.effectCheck.effectKpi',
      '$.msg.effectCheck.effectTolerance',
    ]);
  });
});
