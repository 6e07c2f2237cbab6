import type { Condition, RuleDefinition } from '@loopgate/contracts';
import { autoLayout } from './layout';
import type {
  EventNodeData,
  FactNodeData,
  GateNodeData,
  ReferenceNodeData,
  RuleGraph,
  RuleGraphEdge,
  RuleGraphNode,
  RuleLayout,
} from './model';
import { CONDITIONS_PATH, EVENT_PATH, childPath, nodeIdForPath } from './paths';

/** Copies the optional fields a condition or rule may carry, leaving absent ones absent. */
function optional<K extends string>(
  source: Partial<Record<K, unknown>>,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

export function factData(condition: Extract<Condition, { fact: string }>): FactNodeData {
  return {
    fact: condition.fact,
    operator: condition.operator,
    value: condition.value,
    ...(optional(condition, ['path', 'params', 'priority', 'name'] as const) as Partial<FactNodeData>),
  };
}

export function eventData(rule: RuleDefinition): EventNodeData {
  const data: EventNodeData = { ruleName: rule.name, eventType: rule.event.type };
  if (rule.priority !== undefined) data.rulePriority = rule.priority;
  if (rule.event.params !== undefined) data.params = rule.event.params;
  return data;
}

/**
 * A rule as a graph: one node per condition, an edge from each condition into the gate it
 * feeds (in array order), the top-level condition feeding the event node. Node ids derive from
 * JSON paths, positions from `layout` (or a tidy automatic layout for nodes it does not place).
 *
 * @example toGraph({ name: 'r', conditions: { all: [] }, event: { type: 'writeback' } }).nodes.length // 2
 */
export function toGraph(rule: RuleDefinition, layout: RuleLayout = {}): RuleGraph {
  const auto = autoLayout(rule);
  const at = (path: string) => layout[path] ?? auto[path];
  const nodes: RuleGraphNode[] = [];
  const edges: RuleGraphEdge[] = [];
  const connect = (source: string, target: string) => edges.push({ id: `${source}->${target}`, source, target });

  const visit = (condition: Condition, path: string): string => {
    const id = nodeIdForPath(path);
    const position = at(path);
    if ('all' in condition || 'any' in condition || 'not' in condition) {
      const gate = 'all' in condition ? 'all' : 'any' in condition ? 'any' : 'not';
      const data = { gate, ...optional(condition, ['priority', 'name'] as const) } as GateNodeData;
      nodes.push({ id, type: 'gate', position, data });
      const inputs =
        gate === 'all'
          ? (condition as { all: Condition[] }).all
          : gate === 'any'
            ? (condition as { any: Condition[] }).any
            : [(condition as { not: Condition }).not];
      inputs.forEach((input, index) => connect(visit(input, childPath(path, gate, index)), id));
    } else if ('condition' in condition) {
      const data = {
        condition: condition.condition,
        ...optional(condition, ['priority', 'name'] as const),
      } as ReferenceNodeData;
      nodes.push({ id, type: 'ref', position, data });
    } else {
      nodes.push({ id, type: 'fact', position, data: factData(condition) });
    }
    return id;
  };

  const eventId = nodeIdForPath(EVENT_PATH);
  nodes.push({ id: eventId, type: 'event', position: at(EVENT_PATH), data: eventData(rule) });
  connect(visit(rule.conditions, CONDITIONS_PATH), eventId);
  return { nodes, edges };
}
