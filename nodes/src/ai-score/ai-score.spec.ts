import helper from 'node-red-node-test-helper';
import { afterEach, describe, expect, it } from 'vitest';
import { livenessReport } from '../lib/liveness';
import { eventually, Inbox, statusLog } from '../testing/flow';
import aiScoreNode, { parseAiScoreConfig } from './ai-score';
import { normaliseInference, type InferenceEnvelope } from './inference';

const options = { source: 'auto' as const, scoreMin: 0, scoreMax: 1 };
const now = () => new Date('2026-02-01T10:00:00.000Z');

describe('normaliseInference', () => {
  it('normalises an HTTP/MQTT JSON body with snake_case fields', () => {
    const result = normaliseInference(
      {
        topic: 'plant/ai/tool-wear',
        qos: 1,
        retain: false,
        payload: Buffer.from(
          '{"inference_id":"i-1","model_id":"tool-wear","model_version":"3","probability":0.8,"class":"worn","ts":1767261600000,"inputs":{"load":91}}',
        ),
      },
      options,
      now,
    );
    expect(result).toEqual({
      success: true,
      value: {
        inferenceId: 'i-1',
        modelId: 'tool-wear',
        modelVersion: '3',
        score: 0.8,
        label: 'worn',
        timestamp: '2026-01-01T10:00:00.000Z',
        features: { load: 91 },
        source: 'mqtt',
      },
    });
  });

  it('identifies an OPC UA score by node id and source time, with the configured model', () => {
    const sourceTimestamp = new Date('2026-02-01T09:59:59.500Z');
    const result = normaliseInference(
      { topic: 'ns=1;s=CNC_Cell_01.ToolWear', payload: 0.42, statusCode: { value: 0 }, sourceTimestamp },
      { ...options, modelId: 'tool-wear-edge', modelVersion: '1' },
      now,
    );
    expect(result).toMatchObject({
      success: true,
      value: {
        inferenceId: `ns=1;s=CNC_Cell_01.ToolWear@${sourceTimestamp.getTime()}`,
        modelId: 'tool-wear-edge',
        score: 0.42,
        timestamp: sourceTimestamp.toISOString(),
        source: 'opcua',
      },
    });
  });

  it('takes a Kafka record timestamp when the body has none', () => {
    const result = normaliseInference(
      {
        payload: { inferenceId: 'k-1', modelId: 'm', modelVersion: '1', score: 0.1 },
        kafka: { topic: 't', partition: 0, offset: '5', timestamp: '1767261600000' },
      },
      options,
      now,
    );
    expect(result).toMatchObject({ success: true, value: { timestamp: '2026-01-01T10:00:00.000Z', source: 'kafka' } });
  });

  it.each([
    [{ inferenceId: 'i', modelId: 'm', modelVersion: '1', score: Number.NaN }, '$.score'],
    [{ inferenceId: 'i', modelId: 'm', modelVersion: '1', score: 1.2 }, '$.score'],
    [{ inferenceId: 'i', modelId: 'm', modelVersion: '1', score: 'high' }, '$.score'],
    [{ modelId: 'm', modelVersion: '1', score: 0.5 }, '$.inferenceId'],
    [{ inferenceId: 'i', modelVersion: '1', score: 0.5 }, '$.modelId'],
    [{ inferenceId: 'i', modelId: 'm', modelVersion: '1', score: 0.5, features: [1, 2] }, '$.features'],
    [{ inferenceId: 'i', modelId: 'm', modelVersion: '1', score: 0.5, timestamp: 'yesterday' }, '$.timestamp'],
  ])('rejects %j at %s', (payload, path) => {
    const result = normaliseInference({ payload }, options, now);
    expect(result.success).toBe(false);
    expect((result as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(path);
  });

  it('rejects an OPC UA value without a source time, since it cannot be identified', () => {
    const result = normaliseInference(
      { topic: 'ns=1;s=X', payload: 0.4, statusCode: {}, serverTimestamp: undefined, sourceTimestamp: undefined },
      { ...options, source: 'opcua', modelId: 'm', modelVersion: '1' },
      now,
    );
    expect((result as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['$.inferenceId']);
  });
});

describe('parseAiScoreConfig', () => {
  it('requires a model id for OPC UA sources', () => {
    expect(parseAiScoreConfig({ source: 'opcua' })).toEqual({
      problem: 'model id is required for OPC UA sources (OPC UA values carry none)',
    });
  });

  it('rejects an empty score range', () => {
    expect(parseAiScoreConfig({ scoreMin: '1', scoreMax: '1' })).toHaveProperty('problem');
  });
});

describe('ai-score node', () => {
  afterEach(() => helper.unload());

  async function load(node: Record<string, unknown> = {}) {
    await helper.load(aiScoreNode, [
      { id: 'ai', type: 'ai-score', ...node, wires: [['ok'], ['bad']] },
      { id: 'ok', type: 'helper' },
      { id: 'bad', type: 'helper' },
    ]);
    const ai = helper.getNode('ai');
    return { ai, status: statusLog(ai), ok: new Inbox(helper.getNode('ok')), bad: new Inbox(helper.getNode('bad')) };
  }

  it('puts the envelope in msg.inference and keeps the payload', async () => {
    const { ai, ok } = await load({ modelVersion: '2' });
    ai.receive({ payload: { id: 'inf-9', model: 'bearing', score: 0.97 } });
    const msg = await ok.next();
    expect(msg.inference as InferenceEnvelope).toMatchObject({
      inferenceId: 'inf-9',
      modelId: 'bearing',
      modelVersion: '2',
      score: 0.97,
    });
    expect(msg.payload).toEqual({ id: 'inf-9', model: 'bearing', score: 0.97 });
  });

  it('honours a configured score range', async () => {
    const { ai, ok } = await load({ scoreMin: '0', scoreMax: '100' });
    ai.receive({ payload: { inferenceId: 'i', modelId: 'm', modelVersion: '1', score: 87 } });
    expect(((await ok.next()).inference as InferenceEnvelope).score).toBe(87);
  });

  it('sends a rejected inference to output 2 with a clear message', async () => {
    const { ai, bad, status } = await load();
    ai.receive({ payload: { inferenceId: 'i', modelId: 'm', modelVersion: '1', score: 7 } });
    const error = (await bad.next()).error as { code: string; message: string };
    expect(error).toMatchObject({
      code: 'INVALID_INFERENCE',
      message: 'ai-score: rejected inference: $.score: must be between 0 and 1, got 7',
    });
    expect(status.at(-1)).toMatchObject({ fill: 'yellow', shape: 'ring' });
  });

  it('routes every message to output 2 while its configuration is invalid', async () => {
    const { ai, bad, status } = await load({ scoreMin: 'a' });
    expect(status[0]).toMatchObject({ fill: 'red' });
    ai.receive({ payload: { inferenceId: 'i', modelId: 'm', modelVersion: '1', score: 0.5 } });
    expect(((await bad.next()).error as { code: string }).code).toBe('INVALID_CONFIG');
  });

  it('reports a stalled source in its status and the health report, and recovers', async () => {
    const { ai, status, ok } = await load({ staleAfter: '0.1' });
    await eventually(() => status.some((s) => s.text?.startsWith('no input for')), 'stale status', 2_000);
    expect(livenessReport()).toMatchObject({ ok: false, nodes: [{ nodeId: 'ai', stale: true }] });
    ai.receive({ payload: { inferenceId: 'i', modelId: 'm', modelVersion: '1', score: 0.5 } });
    await ok.next();
    expect(livenessReport().ok).toBe(true);
  });
});
