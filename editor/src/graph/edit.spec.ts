import { describe, expect, it } from 'vitest';
import {
  canConnect,
  defaultFactData,
  emptyRuleGraph,
  freshNodeId,
  moveInput,
  removeNodes,
  sameExceptPositions,
  setOutput,
  withField,
} from './edit';
import { toolWearRule } from './fixtures';
import { toGraph } from './to-graph';
import { toRule } from './to-rule';

describe('graph editing', () => {
  it('lets a condition feed a gate', () => {
    expect(canConnect(toGraph(toolWearRule), 'c.all.0', 'c.all.1')).toBe(true);
  });

  it('refuses a connection that would make a loop', () => {
    expect(canConnect(toGraph(toolWearRule), 'c', 'c.all.1')).toBe(false);
  });

  it('refuses a connection out of the event', () => {
    expect(canConnect(toGraph(toolWearRule), 'event', 'c')).toBe(false);
  });

  it('refuses a second input into a `not` gate', () => {
    expect(canConnect(toGraph(toolWearRule), 'c.all.0', 'c.all.2')).toBe(false);
  });

  it('refuses a second input into the event', () => {
    expect(canConnect(toGraph(toolWearRule), 'c.all.0', 'event')).toBe(false);
  });

  it('moves a node’s output to another gate as its last input', () => {
    const graph = setOutput(toGraph(toolWearRule), 'c.all.0', 'c.all.1');
    const result = toRule(graph);
    expect(result.success && (result.rule.conditions as { all: { any: unknown[] }[] }).all[0].any).toHaveLength(3);
  });

  it('reorders a gate’s inputs, which reorders the JSON array', () => {
    const result = toRule(moveInput(toGraph(toolWearRule), 'c.all.1', -1));
    expect(result.success && (result.rule.conditions as { all: object[] }).all[0]).toHaveProperty('any');
  });

  it('removes a node with its connections', () => {
    const graph = removeNodes(toGraph(toolWearRule), ['c.all.0']);
    expect(graph.edges.some((e) => e.source === 'c.all.0')).toBe(false);
  });

  it('removes an optional field set to undefined instead of keeping an undefined value', () => {
    expect(withField({ fact: 'a', path: '$.x' }, 'path', undefined)).toEqual({ fact: 'a' });
  });

  it('starts a palette fact with an operator its type offers', () => {
    expect(defaultFactData({ name: 'machineState', type: 'string' })).toEqual({
      fact: 'machineState',
      operator: 'equal',
      value: '',
    });
  });

  it('sees a graph whose nodes only moved as the same rule', () => {
    const graph = toGraph(toolWearRule);
    const moved = { ...graph, nodes: graph.nodes.map((n) => ({ ...n, position: { x: n.position.x + 40, y: 7 } })) };
    expect(sameExceptPositions(graph, moved)).toBe(true);
  });

  it('sees a changed value as a different rule', () => {
    const graph = toGraph(toolWearRule);
    const edited = {
      ...graph,
      nodes: graph.nodes.map((n) => (n.id === 'c.all.0' ? { ...n, data: { ...n.data, value: 81 } } : n)),
    } as typeof graph;
    expect(sameExceptPositions(graph, edited)).toBe(false);
  });

  it('sees a new connection as a different rule', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push({ id: 'n2', type: 'gate', position: { x: 0, y: 0 }, data: { gate: 'any' } });
    expect(sameExceptPositions(graph, setOutput(graph, 'n2', 'event'))).toBe(false);
  });

  it('makes node ids that are not taken', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push({ id: 'n2', type: 'gate', position: { x: 0, y: 0 }, data: { gate: 'all' } });
    expect(freshNodeId(graph)).toBe('n3');
  });
});
