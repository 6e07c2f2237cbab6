import { createHash } from 'node:crypto';
import type { FlowNodeChange, FlowVersionDiff } from '@loopgate/contracts';
import { canonicalJson } from '@loopgate/rules';

type FlowNode = Record<string, unknown>;

/** A node without the credentials the editor may send along: what is compared, hashed and shown. */
export function withoutCredentials(node: FlowNode): FlowNode {
  const { credentials: _credentials, ...rest } = node;
  return rest;
}

function describe(node: FlowNode): FlowNodeChange {
  return {
    id: String(node.id),
    type: String(node.type),
    ...(typeof node.name === 'string' && node.name ? { name: node.name } : {}),
    ...(typeof node.z === 'string' ? { z: node.z } : {}),
  };
}

function nodeHash(node: FlowNode): string {
  return JSON.stringify(canonicalJson(withoutCredentials(node)));
}

/**
 * Node-level difference between the running flows and new ones, by node id: added, removed, and
 * changed (any property other than credentials differs, position included).
 *
 * @example diffFlows([{ id: 'a', type: 'inject' }], [{ id: 'a', type: 'inject', repeat: '5' }]).changed // [{ id: 'a', type: 'inject' }]
 */
export function diffFlows(running: readonly FlowNode[], next: readonly FlowNode[], against?: number): FlowVersionDiff {
  const before = new Map(running.map((n) => [String(n.id), n]));
  const after = new Map(next.map((n) => [String(n.id), n]));
  return {
    ...(against !== undefined ? { against } : {}),
    added: next.filter((n) => !before.has(String(n.id))).map(describe),
    removed: running.filter((n) => !after.has(String(n.id))).map(describe),
    changed: next
      .filter((n) => before.has(String(n.id)) && nodeHash(before.get(String(n.id))!) !== nodeHash(n))
      .map(describe),
  };
}

/** SHA-256 of the flows' canonical JSON, credentials left out: the same flows always have the same checksum. */
export function flowsChecksum(flows: readonly FlowNode[]): string {
  const canonical = JSON.stringify(canonicalJson(flows.map(withoutCredentials)));
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** Problems that make a body not a Node-RED flow configuration: an array of objects with unique string ids and types. */
export function flowsProblem(flows: unknown): string | undefined {
  if (!Array.isArray(flows)) return 'flows must be an array of nodes';
  const seen = new Set<string>();
  for (const [index, node] of flows.entries()) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return `flows[${index}] is not a node object`;
    const { id, type } = node as FlowNode;
    if (typeof id !== 'string' || id === '') return `flows[${index}] has no id`;
    if (typeof type !== 'string' || type === '') return `flows[${index}] (${id}) has no type`;
    if (seen.has(id)) return `node id ${id} appears twice`;
    seen.add(id);
  }
  return undefined;
}

/** The SHA-256 an approval signature binds to: the version's identity and its content checksum. */
export function flowVersionRecordHash(version: {
  version: number;
  checksum: string;
  author: string;
  createdAt: string;
}): string {
  const record = ['flow-version', version.version, version.checksum, version.author, version.createdAt];
  return createHash('sha256').update(JSON.stringify(record), 'utf8').digest('hex');
}
