import {
  actionOf,
  FLOW_FILE_SCHEMA_VERSION,
  TARGET_CATALOGUE,
  type FlowFile,
  type NodeRedNode,
  type TargetKind,
  type ValidationIssue,
  type WriteBackAction,
} from '@loopgate/contracts';
import { matchesPattern } from '../gateway/domain/wildcard';

/** The palette's output node types and the kind of target each writes to, from the targets' descriptions. */
export const OUTPUT_NODE_KINDS: Readonly<Record<string, TargetKind>> = Object.fromEntries(
  Object.values(TARGET_CATALOGUE).map((target) => [target.nodeType, target.kind]),
);
export const RULE_NODE_TYPE = 'loopgate-rule';

/** What validation knows of a configured target: its kind, the actions its adapter supports, its interlocks. */
export type ConfiguredTarget =
  | { kind: TargetKind; actions: readonly WriteBackAction[]; interlocks: { parameter: string; object?: string }[] }
  | { kind: TargetKind; problem: string };

export interface FlowValidationContext {
  /** Configured targets by instance; undefined when no site file was given. */
  targets?: ReadonlyMap<string, ConfiguredTarget>;
  /** Rule set ids that exist (files being validated and, optionally, the registry). */
  ruleSets: ReadonlySet<string>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A typedInput that holds a literal string (`str`, or no type saved), as opposed to msg/env/flow. */
function literal(node: NodeRedNode, prop: string): string | undefined {
  const type = node[`${prop}Type`];
  const value = node[prop];
  if (type !== undefined && type !== '' && type !== 'str') return undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Checks a flow file: format (`schemaVersion`, ids, unique node ids, wires and tabs that exist)
 * and meaning (each output node names a configured target of its kind and an action the target
 * supports, never writes an interlock parameter; each rule node's rule set exists).
 *
 * @example
 * validateFlowFile(JSON.parse(text), { targets, ruleSets: new Set(['tool-wear']) }) // [] when valid
 */
export function validateFlowFile(value: unknown, context: FlowValidationContext): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (code: string, path: string, message: string) => issues.push({ code, path, message });
  if (!isObject(value)) {
    add('INVALID_TYPE', '$', 'a flow file is an object with schemaVersion, id, version, name and nodes');
    return issues;
  }
  if (value.schemaVersion === undefined) add('REQUIRED', '$.schemaVersion', 'schemaVersion is required');
  else if (value.schemaVersion !== FLOW_FILE_SCHEMA_VERSION)
    add('UNSUPPORTED_SCHEMA_VERSION', '$.schemaVersion', `schemaVersion must be ${FLOW_FILE_SCHEMA_VERSION}`);
  if (typeof value.id !== 'string' || !ID.test(value.id))
    add('INVALID_ID', '$.id', 'id must be 1-128 letters, digits, ".", "_" or "-"');
  if (typeof value.version !== 'string' || value.version.trim() === '')
    add('REQUIRED', '$.version', 'version must be a non-empty string');
  if (typeof value.name !== 'string' || value.name.trim() === '')
    add('REQUIRED', '$.name', 'name must be a non-empty string');
  const allowed = new Set(['schemaVersion', 'id', 'version', 'name', 'description', 'ruleSets', 'nodes']);
  for (const key of Object.keys(value))
    if (!allowed.has(key)) add('UNKNOWN_PROPERTY', `$.${key}`, `unknown property "${key}"`);
  if (value.ruleSets !== undefined) {
    if (!Array.isArray(value.ruleSets)) add('INVALID_TYPE', '$.ruleSets', 'ruleSets must be an array of rule set ids');
    else
      value.ruleSets.forEach((id, i) => {
        if (typeof id !== 'string' || !context.ruleSets.has(id))
          add('UNKNOWN_RULE_SET', `$.ruleSets[${i}]`, `rule set ${JSON.stringify(id)} does not exist`);
      });
  }
  if (!Array.isArray(value.nodes)) {
    add('REQUIRED', '$.nodes', 'nodes must be an array of Node-RED nodes');
    return issues;
  }
  const nodes = value.nodes as unknown[];
  const ids = new Set<string>();
  const tabs = new Set<string>();
  nodes.forEach((node, i) => {
    if (
      !isObject(node) ||
      typeof node.id !== 'string' ||
      node.id === '' ||
      typeof node.type !== 'string' ||
      node.type === ''
    ) {
      add('INVALID_NODE', `$.nodes[${i}]`, 'a node needs a string id and type');
      return;
    }
    if (ids.has(node.id)) add('DUPLICATE_NODE_ID', `$.nodes[${i}].id`, `node id ${node.id} appears twice`);
    ids.add(node.id);
    if (node.type === 'tab') tabs.add(node.id);
  });
  nodes.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.id !== 'string' || typeof raw.type !== 'string') return;
    const node = raw as NodeRedNode;
    const at = `$.nodes[${i}]`;
    if (typeof node.z === 'string' && node.z !== '' && !tabs.has(node.z))
      add('UNKNOWN_TAB', `${at}.z`, `node ${node.id} is on tab ${node.z}, which is not in the file`);
    if (Array.isArray(node.wires)) {
      node.wires.forEach((port, p) =>
        (Array.isArray(port) ? port : []).forEach((target, w) => {
          if (typeof target !== 'string' || !ids.has(target))
            add(
              'UNKNOWN_WIRE_TARGET',
              `${at}.wires[${p}][${w}]`,
              `node ${node.id} is wired to ${String(target)}, which is not in the file`,
            );
        }),
      );
    }
    if (node.type === RULE_NODE_TYPE) {
      const ruleSet = typeof node.ruleSet === 'string' ? node.ruleSet.trim() : '';
      if (!ruleSet) add('REQUIRED', `${at}.ruleSet`, `rule node ${node.id} names no rule set`);
      else if (!context.ruleSets.has(ruleSet))
        add('UNKNOWN_RULE_SET', `${at}.ruleSet`, `rule set ${ruleSet} does not exist`);
    }
    const kind = OUTPUT_NODE_KINDS[node.type];
    if (kind) issues.push(...validateOutputNode(node, kind, at, context));
  });
  return issues;
}

function validateOutputNode(
  node: NodeRedNode,
  kind: TargetKind,
  at: string,
  context: FlowValidationContext,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (code: string, path: string, message: string) => issues.push({ code, path, message });
  if (!context.targets) {
    add(
      'SITE_REQUIRED',
      at,
      `output node ${node.id} needs the site file (--site or LOOPGATE_SITE_FILE) to check its target`,
    );
    return issues;
  }
  const instance = literal(node, 'instance');
  if (instance === undefined) return issues;
  const target = context.targets.get(instance);
  if (!target) {
    add('UNKNOWN_TARGET', `${at}.instance`, `target ${JSON.stringify(instance)} is not configured in the site file`);
    return issues;
  }
  if (target.kind !== kind) {
    add(
      'TARGET_KIND_MISMATCH',
      `${at}.instance`,
      `${node.type} writes to ${kind} targets, but ${instance} is a ${target.kind} target`,
    );
    return issues;
  }
  if ('problem' in target) {
    add('TARGET_CONFIG_INVALID', `${at}.instance`, `target ${instance} cannot be checked: ${target.problem}`);
    return issues;
  }
  if (typeof node.action !== 'string' || !target.actions.includes(node.action as WriteBackAction)) {
    add(
      'UNSUPPORTED_ACTION',
      `${at}.action`,
      `${instance} supports ${target.actions.join(', ')}, not ${JSON.stringify(node.action ?? '')}`,
    );
  }
  const action = actionOf(TARGET_CATALOGUE[kind], node.action);
  const objectType = node.objectType;
  if (
    action &&
    typeof objectType === 'string' &&
    objectType !== '' &&
    !action.objectTypes.some((t) => t === objectType)
  )
    add(
      'UNSUPPORTED_OBJECT',
      `${at}.objectType`,
      `${action.action} at ${kind} acts on ${action.objectTypes.join(' or ')}, not ${objectType}`,
    );
  const parameter = literal(node, 'parameter');
  const objectId = literal(node, 'objectId');
  if (parameter) {
    const interlock = target.interlocks.find(
      (m) =>
        matchesPattern(m.parameter, parameter) &&
        (m.object === undefined || objectId === undefined || matchesPattern(m.object, objectId)),
    );
    if (interlock)
      add(
        'SAFETY_INTERLOCK',
        `${at}.parameter`,
        `${parameter} is a safety-interlock parameter of ${instance} and is never written`,
      );
  }
  return issues;
}

/** The interlock entries of a target's guardrails: strings or `{ parameter, object? }`. */
export function interlocksOf(
  guardrails: Record<string, unknown> | undefined,
): { parameter: string; object?: string }[] {
  const raw = guardrails?.interlocks;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry) => {
    if (typeof entry === 'string') return [{ parameter: entry }];
    if (isObject(entry) && typeof entry.parameter === 'string')
      return [{ parameter: entry.parameter, ...(typeof entry.object === 'string' ? { object: entry.object } : {}) }];
    return [];
  });
}

export type { FlowFile };
