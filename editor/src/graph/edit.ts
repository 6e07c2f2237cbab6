import type { FactDefinition, FactType } from '@loopgate/contracts';
import { jsonEqual, operatorsFor } from '@loopgate/rules/core';
import type {
  EventNodeData,
  FactNodeData,
  GateKind,
  GateNodeData,
  RuleGraph,
  RuleGraphEdge,
  RuleGraphNode,
  XYPosition,
} from './model';

/** A fresh node id that no node of the graph uses: `n1`, `n2`, … */
export function freshNodeId(graph: RuleGraph): string {
  const used = new Set(graph.nodes.map((n) => n.id));
  let n = graph.nodes.length + 1;
  while (used.has(`n${n}`)) n++;
  return `n${n}`;
}

const DEFAULT_VALUES: Record<FactType, unknown> = { number: 0, string: '', boolean: true, array: [], object: {} };

/** A new condition on a fact from the palette: the first operator its type offers, a neutral value. */
export function defaultFactData(fact: FactDefinition): FactNodeData {
  const operator = operatorsFor(fact)[0];
  return { fact: fact.name, operator, value: fact.type === 'array' ? '' : DEFAULT_VALUES[fact.type] };
}

export function defaultGateData(gate: GateKind): GateNodeData {
  return { gate };
}

export function defaultEventData(ruleName: string): EventNodeData {
  return { ruleName, eventType: 'writeback', params: {} };
}

/** Sets or, with `undefined`, removes one field, so absent optional fields stay absent in the JSON. */
export function withField<T extends Record<string, unknown>, K extends string>(data: T, key: K, value: unknown): T {
  const next: Record<string, unknown> = { ...data };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next as T;
}

/** Whether two graphs differ at most in where their nodes sit (what a drag changes), so they say the same rule. */
export function sameExceptPositions(a: RuleGraph, b: RuleGraph): boolean {
  return (
    a.nodes.length === b.nodes.length &&
    a.nodes.every((n, i) => {
      const m = b.nodes[i];
      return n.id === m.id && n.type === m.type && jsonEqual(n.data, m.data);
    }) &&
    jsonEqual(a.edges, b.edges)
  );
}

export function addNode(graph: RuleGraph, node: RuleGraphNode): RuleGraph {
  return { ...graph, nodes: [...graph.nodes, node] };
}

/** Whether an edge from `source` into `target` makes sense: into a gate or the event, no loops, one output each. */
export function canConnect(graph: RuleGraph, source: string, target: string): boolean {
  if (source === target) return false;
  const from = graph.nodes.find((n) => n.id === source);
  const to = graph.nodes.find((n) => n.id === target);
  if (!from || !to || from.type === 'event') return false;
  if (to.type !== 'gate' && to.type !== 'event') return false;
  const inputs = graph.edges.filter((e) => e.target === target && e.source !== source);
  if (to.type === 'event' && inputs.length > 0) return false;
  if (to.type === 'gate' && to.data.gate === 'not' && inputs.length > 0) return false;
  // Refuse a loop: the target must not already feed, directly or not, into the source.
  const seen = new Set<string>();
  let current: string | undefined = target;
  while (current && !seen.has(current)) {
    if (current === source) return false;
    seen.add(current);
    current = graph.edges.find((e) => e.source === current)?.target;
  }
  return true;
}

/**
 * Points a node's single output at `target` (appended as the gate's last input), or removes
 * its output when `target` is undefined.
 */
export function setOutput(graph: RuleGraph, source: string, target: string | undefined): RuleGraph {
  const edges: RuleGraphEdge[] = graph.edges.filter((e) => e.source !== source);
  if (target !== undefined) edges.push({ id: `${source}->${target}`, source, target });
  return { ...graph, edges };
}

/** Moves an input one place earlier (-1) or later (+1) among its gate's inputs: the JSON array order. */
export function moveInput(graph: RuleGraph, source: string, direction: -1 | 1): RuleGraph {
  const edge = graph.edges.find((e) => e.source === source);
  if (!edge) return graph;
  const siblings = graph.edges.filter((e) => e.target === edge.target);
  const index = siblings.indexOf(edge);
  const swapWith = siblings[index + direction];
  if (!swapWith) return graph;
  const edges = graph.edges.map((e) => (e === edge ? swapWith : e === swapWith ? edge : e));
  return { ...graph, edges };
}

export function removeNodes(graph: RuleGraph, ids: readonly string[]): RuleGraph {
  const gone = new Set(ids);
  return {
    nodes: graph.nodes.filter((n) => !gone.has(n.id)),
    edges: graph.edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)),
  };
}

/** A graph with only the event node: where building a rule from nothing starts. */
export function emptyRuleGraph(ruleName: string, at: XYPosition = { x: 600, y: 120 }): RuleGraph {
  return { nodes: [{ id: 'event', type: 'event', position: at, data: defaultEventData(ruleName) }], edges: [] };
}
