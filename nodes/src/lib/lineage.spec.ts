import { describe, expect, it } from 'vitest';
import { buildLineage, writeBackRequestId } from './lineage';

describe('buildLineage', () => {
  it('takes the flow position, the rule firing and the inference', () => {
    const lineage = buildLineage(
      { flowId: 'tool-wear-feed-rate', flowVersion: '3', nodeId: 'out1' },
      {
        rule: {
          ruleSetId: 'tool-wear-feed-rate',
          ruleSetVersion: 4,
          ruleName: 'reduce-feed',
          event: { type: 'writeback' },
        },
        inference: { inferenceId: 'inf-1', modelId: 'tool-wear', modelVersion: '3.1', score: 0.9 },
      },
    );
    expect(lineage).toEqual({
      flowId: 'tool-wear-feed-rate',
      flowVersion: '3',
      nodeId: 'out1',
      ruleSetId: 'tool-wear-feed-rate',
      ruleSetVersion: 4,
      ruleName: 'reduce-feed',
      inferenceId: 'inf-1',
      modelId: 'tool-wear',
      modelVersion: '3.1',
      score: 0.9,
    });
  });

  it('leaves out what the message does not carry, and ill-typed parts', () => {
    expect(
      buildLineage({ nodeId: 'out1' }, { rule: { ruleSetVersion: '4' }, inference: { score: Number.NaN } }),
    ).toEqual({ nodeId: 'out1' });
  });
});

describe('writeBackRequestId', () => {
  const object = { type: 'recipe-parameter' as const, id: 'CNC_Cell_01/OP20' };

  it('is the same for the same inference, node and object', () => {
    expect(writeBackRequestId('inf-1', 'out1', object, 'set-parameter', 'FeedRate')).toBe(
      'inf-1:out1:set-parameter:CNC_Cell_01/OP20:FeedRate',
    );
    expect(writeBackRequestId('inf-1', 'out1', object, 'set-parameter', 'FeedRate')).toBe(
      writeBackRequestId('inf-1', 'out1', object, 'set-parameter', 'FeedRate'),
    );
  });

  it('differs per object and per node', () => {
    const ids = new Set([
      writeBackRequestId('inf-1', 'out1', { type: 'work-order', id: 'WO-1' }, 'reroute-work-order'),
      writeBackRequestId('inf-1', 'out1', { type: 'work-order', id: 'WO-2' }, 'reroute-work-order'),
      writeBackRequestId('inf-1', 'out2', { type: 'work-order', id: 'WO-1' }, 'reroute-work-order'),
    ]);
    expect(ids.size).toBe(3);
  });

  it('hashes ids that would be too long to read', () => {
    const id = writeBackRequestId('i'.repeat(300), 'out1', object, 'set-parameter');
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
