/**
 * The rule graph: what the console's React Flow canvas shows for one json-rules-engine rule.
 * Plain JSON only (no functions, no class instances), so a graph saves and loads unchanged.
 * Structurally compatible with React Flow's `Node` and `Edge`, without importing React.
 */

export type GateKind = 'all' | 'any' | 'not';

/** A fact condition: `{ fact, operator, value, path?, params?, priority?, name? }`. */
export type FactNodeData = {
  fact: string;
  operator: string;
  value: unknown;
  path?: string;
  params?: Record<string, unknown>;
  priority?: number;
  name?: string;
};

/** An `all` / `any` / `not` gate; its inputs are the conditions it combines, in edge order. */
export type GateNodeData = {
  gate: GateKind;
  priority?: number;
  name?: string;
};

/** A reference to one of the rule set's shared conditions: `{ condition: name }`. */
export type ReferenceNodeData = {
  condition: string;
  priority?: number;
  name?: string;
};

/** The rule's event and the rule's own fields (name, priority): the sink every condition feeds. */
export type EventNodeData = {
  ruleName: string;
  rulePriority?: number;
  eventType: string;
  params?: Record<string, unknown>;
};

export interface NodeDataByType {
  fact: FactNodeData;
  gate: GateNodeData;
  ref: ReferenceNodeData;
  event: EventNodeData;
}
export type RuleNodeType = keyof NodeDataByType;

export interface XYPosition {
  x: number;
  y: number;
}

export type RuleGraphNode = {
  [T in RuleNodeType]: { id: string; type: T; position: XYPosition; data: NodeDataByType[T] };
}[RuleNodeType];

/** An edge runs from a condition (source) into the gate or event it feeds (target). */
export interface RuleGraphEdge {
  id: string;
  source: string;
  target: string;
}

export interface RuleGraph {
  nodes: RuleGraphNode[];
  edges: RuleGraphEdge[];
}

/**
 * Node positions kept beside the rule, keyed by the JSON path of each node inside the rule
 * (`$.conditions`, `$.conditions.all[0]`, `$.event`), so the rule itself stays pure json-rules-engine.
 */
export type RuleLayout = Record<string, XYPosition>;

/** A problem with the graph's shape, pointing at the node or edge to fix. */
export interface GraphIssue {
  code:
    | 'NO_EVENT'
    | 'MULTIPLE_EVENTS'
    | 'NO_CONDITIONS'
    | 'TOO_MANY_INPUTS'
    | 'TOP_LEVEL_FACT'
    | 'NOT_NEEDS_ONE_INPUT'
    | 'NO_INPUT_ALLOWED'
    | 'MULTIPLE_OUTPUTS'
    | 'CYCLE'
    | 'UNCONNECTED'
    | 'DANGLING_EDGE';
  message: string;
  nodeId?: string;
  edgeId?: string;
}
