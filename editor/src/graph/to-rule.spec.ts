import { describe, expect, it } from 'vitest';
import { emptyRuleGraph } from './edit';
import { toolWearRule } from './fixtures';
import type { RuleGraph, RuleGraphNode } from './model';
import { toGraph } from './to-graph';
import { toRule } from './to-rule';

const at = { x: 0, y: 0 };
const gate = (id: string, kind: 'all' | 'any' | 'not'): RuleGraphNode => ({
  id,
  type: 'gate',
  position: at,
  data: { gate: kind },
});
const fact = (id: string): RuleGraphNode => ({
  id,
  type: 'fact',
  position: at,
  data: { fact: 'spindleLoad', operator: 'greaterThan', value: 80 },
});
const edge = (source: string, target: string) => ({ id: `${source}->${target}`, source, target });

function issueCodes(graph: RuleGraph): string[] {
  const result = toRule(graph);
  return result.success ? [] : result.issues.map((i) => i.code);
}

describe('toRule', () => {
  it('builds the rule a visually drawn graph describes', () => {
    const graph = emptyRuleGraph('high-load');
    graph.nodes.push(gate('g', 'all'), fact('f'));
    graph.edges.push(edge('f', 'g'), edge('g', 'event'));
    const result = toRule(graph);
    expect(result.success && result.rule).toEqual({
      name: 'high-load',
      conditions: { all: [{ fact: 'spindleLoad', operator: 'greaterThan', value: 80 }] },
      event: { type: 'writeback', params: {} },
    });
  });

  it('gives every node its JSON path', () => {
    expect(toRule(toGraph(toolWearRule)).paths['c.all.1.any.1']).toBe('$.conditions.all[1].any[1]');
  });

  it('asks for an event when there is none', () => {
    expect(issueCodes({ nodes: [gate('g', 'all')], edges: [] })).toEqual(['NO_EVENT']);
  });

  it('refuses a second event node', () => {
    const graph = toGraph(toolWearRule);
    graph.nodes.push({ ...graph.nodes[0], id: 'event2' });
    expect(issueCodes(graph)).toContain('MULTIPLE_EVENTS');
  });

  it('asks for conditions when nothing feeds the event', () => {
    expect(issueCodes(emptyRuleGraph('r'))).toEqual(['NO_CONDITIONS']);
  });

  it('refuses two inputs into the event', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push(gate('a', 'all'), gate('b', 'any'));
    graph.edges.push(edge('a', 'event'), edge('b', 'event'));
    expect(issueCodes(graph)).toContain('TOO_MANY_INPUTS');
  });

  it('refuses a fact condition directly at the top, as json-rules-engine does', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push(fact('f'));
    graph.edges.push(edge('f', 'event'));
    const result = toRule(graph);
    expect(result.success ? [] : result.issues).toEqual([
      expect.objectContaining({ code: 'TOP_LEVEL_FACT', nodeId: 'f' }),
    ]);
  });

  it('refuses a `not` gate with two inputs', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push(gate('n', 'not'), fact('f1'), fact('f2'));
    graph.edges.push(edge('f1', 'n'), edge('f2', 'n'), edge('n', 'event'));
    expect(issueCodes(graph)).toEqual(['NOT_NEEDS_ONE_INPUT']);
  });

  it('refuses a `not` gate with no input', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push(gate('n', 'not'));
    graph.edges.push(edge('n', 'event'));
    expect(issueCodes(graph)).toEqual(['NOT_NEEDS_ONE_INPUT']);
  });

  it('accepts an empty `all` gate, which the format allows', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push(gate('g', 'all'));
    graph.edges.push(edge('g', 'event'));
    expect(toRule(graph).success).toBe(true);
  });

  it('points at a node that is not connected to the event', () => {
    const graph = toGraph(toolWearRule);
    graph.nodes.push(fact('loose'));
    const result = toRule(graph);
    expect(result.success ? [] : result.issues).toEqual([
      expect.objectContaining({ code: 'UNCONNECTED', nodeId: 'loose' }),
    ]);
  });

  it('refuses a condition feeding two gates', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push(gate('a', 'all'), gate('b', 'any'), fact('f'));
    graph.edges.push(edge('f', 'a'), edge('f', 'b'), edge('b', 'a'), edge('a', 'event'));
    expect(issueCodes(graph)).toContain('MULTIPLE_OUTPUTS');
  });

  it('refuses gates that feed each other in a loop', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push(gate('a', 'all'), gate('b', 'any'));
    graph.edges.push(edge('b', 'a'), edge('a', 'b'), edge('a', 'event'));
    expect(issueCodes(graph)).toContain('CYCLE');
  });

  it('refuses an input into a fact condition', () => {
    const graph = emptyRuleGraph('r');
    graph.nodes.push(gate('g', 'all'), fact('f1'), fact('f2'));
    graph.edges.push(edge('f2', 'f1'), edge('f1', 'g'), edge('g', 'event'));
    expect(issueCodes(graph)).toContain('NO_INPUT_ALLOWED');
  });

  it('points at a connection whose end is missing', () => {
    const graph = toGraph(toolWearRule);
    graph.edges.push(edge('ghost', 'c'));
    const result = toRule(graph);
    expect(result.success ? [] : result.issues).toEqual([
      expect.objectContaining({ code: 'DANGLING_EDGE', edgeId: 'ghost->c' }),
    ]);
  });
});
