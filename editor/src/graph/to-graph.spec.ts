import { describe, expect, it } from 'vitest';
import { toolWearRule } from './fixtures';
import { toGraph } from './to-graph';

describe('toGraph', () => {
  it('names each node after its JSON path', () => {
    const ids = toGraph(toolWearRule).nodes.map((n) => n.id);
    expect(ids).toEqual([
      'event',
      'c',
      'c.all.0',
      'c.all.1',
      'c.all.1.any.0',
      'c.all.1.any.1',
      'c.all.2',
      'c.all.2.not',
    ]);
  });

  it('connects a gate’s inputs in the order of its JSON array', () => {
    const { edges } = toGraph(toolWearRule);
    expect(edges.filter((e) => e.target === 'c').map((e) => e.source)).toEqual(['c.all.0', 'c.all.1', 'c.all.2']);
  });

  it('puts the rule’s name, priority and event on the event node', () => {
    const event = toGraph(toolWearRule).nodes.find((n) => n.type === 'event');
    expect(event?.data).toEqual({
      ruleName: 'reduce-feed',
      rulePriority: 10,
      eventType: 'writeback',
      params: toolWearRule.event.params,
    });
  });

  it('places nodes where the stored layout says', () => {
    const node = toGraph(toolWearRule, { '$.conditions.all[0]': { x: 12, y: 34 } }).nodes.find(
      (n) => n.id === 'c.all.0',
    );
    expect(node?.position).toEqual({ x: 12, y: 34 });
  });

  it('leaves optional fields that a condition does not have absent', () => {
    const fact = toGraph(toolWearRule).nodes.find((n) => n.id === 'c.all.0');
    expect(Object.keys(fact?.data ?? {})).toEqual(['fact', 'operator', 'value']);
  });
});
