import type { Condition, RuleDefinition, RuleEvent, TopLevelCondition } from '@loopgate/contracts';
import type { GraphIssue, RuleGraph, RuleGraphEdge, RuleGraphNode, RuleLayout } from './model';
import { CONDITIONS_PATH, EVENT_PATH, childPath } from './paths';

export type ToRuleResult =
  | { success: true; rule: RuleDefinition; layout: RuleLayout; paths: Record<string, string> }
  | { success: false; issues: GraphIssue[]; paths: Record<string, string> };

type Built = Condition | undefined;

/**
 * The json-rules-engine rule a graph describes, with its layout and the JSON path of each node.
 * Shape problems come back as issues on the node or edge to fix, never as exceptions.
 *
 * @example
 * const result = toRule(toGraph(rule));
 * if (result.success) save(result.rule, result.layout);
 */
export function toRule(graph: RuleGraph): ToRuleResult {
  const issues: GraphIssue[] = [];
  const paths: Record<string, string> = {};
  const byId = new Map<string, RuleGraphNode>(graph.nodes.map((n) => [n.id, n]));
  const inputs = new Map<string, RuleGraphEdge[]>();
  const outputs = new Map<string, RuleGraphEdge[]>();
  for (const edge of graph.edges) {
    if (!byId.has(edge.source) || !byId.has(edge.target)) {
      issues.push({ code: 'DANGLING_EDGE', edgeId: edge.id, message: 'This connection has a missing end.' });
      continue;
    }
    inputs.set(edge.target, [...(inputs.get(edge.target) ?? []), edge]);
    outputs.set(edge.source, [...(outputs.get(edge.source) ?? []), edge]);
  }

  const events = graph.nodes.filter((n) => n.type === 'event');
  if (events.length === 0) {
    issues.push({ code: 'NO_EVENT', message: 'Add an event node: it says what the rule asks for when it fires.' });
    return { success: false, issues, paths };
  }
  for (const extra of events.slice(1)) {
    issues.push({
      code: 'MULTIPLE_EVENTS',
      nodeId: extra.id,
      message: 'A rule has exactly one event; remove this one.',
    });
  }
  const event = events[0];
  paths[event.id] = EVENT_PATH;

  for (const [source, out] of outputs) {
    if (out.length > 1) {
      issues.push({
        code: 'MULTIPLE_OUTPUTS',
        nodeId: source,
        message: 'A condition feeds exactly one gate or the event.',
      });
    }
  }
  for (const out of outputs.get(event.id) ?? []) {
    issues.push({
      code: 'NO_INPUT_ALLOWED',
      edgeId: out.id,
      message: 'The event is the end of the rule: nothing follows it.',
    });
  }

  const onStack = new Set<string>();
  const build = (node: RuleGraphNode, path: string): Built => {
    if (onStack.has(node.id)) {
      issues.push({ code: 'CYCLE', nodeId: node.id, message: 'These conditions feed each other in a loop.' });
      return undefined;
    }
    paths[node.id] = path;
    const nodeInputs = inputs.get(node.id) ?? [];
    if (node.type === 'fact' || node.type === 'ref' || node.type === 'event') {
      for (const edge of nodeInputs) {
        issues.push({
          code: 'NO_INPUT_ALLOWED',
          edgeId: edge.id,
          nodeId: node.id,
          message: 'Only a gate or the event takes inputs.',
        });
      }
      if (node.type === 'fact') return factCondition(node.data);
      if (node.type === 'ref') return { condition: node.data.condition, ...ruleFields(node.data) };
      return undefined;
    }
    const { gate } = node.data;
    if (gate === 'not' && nodeInputs.length !== 1) {
      issues.push({
        code: 'NOT_NEEDS_ONE_INPUT',
        nodeId: node.id,
        message: 'A `not` gate negates exactly one condition.',
      });
    }
    onStack.add(node.id);
    const children = nodeInputs.map((edge, index) => build(byId.get(edge.source)!, childPath(path, gate, index)));
    onStack.delete(node.id);
    if (children.some((c) => c === undefined)) return undefined;
    const built = children as Condition[];
    const fields = ruleFields(node.data);
    if (gate === 'not') return built.length === 1 ? { not: built[0], ...fields } : undefined;
    return gate === 'all' ? { all: built, ...fields } : { any: built, ...fields };
  };

  const eventInputs = inputs.get(event.id) ?? [];
  let conditions: Built;
  if (eventInputs.length === 0) {
    issues.push({
      code: 'NO_CONDITIONS',
      nodeId: event.id,
      message: 'Connect a gate to the event: when should it fire?',
    });
  } else if (eventInputs.length > 1) {
    issues.push({
      code: 'TOO_MANY_INPUTS',
      nodeId: event.id,
      message: 'The event takes one input: combine conditions in an `all` or `any` gate.',
    });
  } else {
    const root = byId.get(eventInputs[0].source)!;
    if (root.type === 'fact') {
      issues.push({
        code: 'TOP_LEVEL_FACT',
        nodeId: root.id,
        message: 'json-rules-engine needs `all`, `any`, `not` or a reference at the top: put this condition in a gate.',
      });
    }
    conditions = build(root, CONDITIONS_PATH);
  }

  for (const node of graph.nodes) {
    if (paths[node.id] === undefined && node.type !== 'event') {
      issues.push({ code: 'UNCONNECTED', nodeId: node.id, message: 'This node is not connected to the event.' });
    }
  }
  if (issues.length > 0 || conditions === undefined) return { success: false, issues, paths };

  const data = event.data as Extract<RuleGraphNode, { type: 'event' }>['data'];
  const ruleEvent: RuleEvent = { type: data.eventType };
  if (data.params !== undefined) ruleEvent.params = data.params as RuleEvent['params'];
  const rule: RuleDefinition = { name: data.ruleName, conditions: conditions as TopLevelCondition, event: ruleEvent };
  if (data.rulePriority !== undefined) rule.priority = data.rulePriority;

  const layout: RuleLayout = {};
  for (const node of graph.nodes) layout[paths[node.id]] = { x: node.position.x, y: node.position.y };
  return { success: true, rule: orderRuleKeys(rule), layout, paths };
}

function ruleFields(data: { priority?: number; name?: string }): { priority?: number; name?: string } {
  const out: { priority?: number; name?: string } = {};
  if (data.priority !== undefined) out.priority = data.priority;
  if (data.name !== undefined) out.name = data.name;
  return out;
}

function factCondition(data: Extract<RuleGraphNode, { type: 'fact' }>['data']): Condition {
  const condition: Record<string, unknown> = { fact: data.fact, operator: data.operator, value: data.value };
  if (data.path !== undefined) condition.path = data.path;
  if (data.params !== undefined) condition.params = data.params;
  Object.assign(condition, ruleFields(data));
  return condition as unknown as Condition;
}

/** json-rules-engine's documented key order, so saved files diff cleanly. */
function orderRuleKeys(rule: RuleDefinition): RuleDefinition {
  const ordered: RuleDefinition = { name: rule.name } as RuleDefinition;
  if (rule.priority !== undefined) ordered.priority = rule.priority;
  ordered.conditions = rule.conditions;
  ordered.event = rule.event;
  return ordered;
}
