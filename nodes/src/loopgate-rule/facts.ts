import type { FactDefinition } from '@loopgate/contracts';
import { ISA95_CONTEXT_KEYS } from '../lib/isa95';
import type { NodeMessage } from '../lib/node-red';
import { isPlainObject } from '../lib/validation';

/** True for a message from a node-red-contrib-opcua client: a node id topic with a status or timestamps. */
export function isOpcUaValue(msg: NodeMessage): boolean {
  return (
    typeof msg.topic === 'string' &&
    /^(ns=\d+;)?[isgb]=/.test(msg.topic) &&
    (msg.statusCode !== undefined || msg.sourceTimestamp !== undefined)
  );
}

function atPath(root: unknown, path: string): unknown {
  let current = root;
  for (const key of path.split('.').filter((k) => k !== '')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The OPC UA node ids a rule set's facts read (`source: "opcua:<node id>"`), in definition order:
 * the inputs its decisions rest on.
 */
export function opcuaNodeIdsOf(definitions: readonly FactDefinition[]): string[] {
  const ids: string[] = [];
  for (const definition of definitions) {
    const source = (definition.source ?? '').trim().split(/\s+/)[0] ?? '';
    if (source.startsWith('opcua:') && source.length > 'opcua:'.length) ids.push(source.slice('opcua:'.length));
  }
  return [...new Set(ids)];
}

/** `isa95-material-lot` (the node type) or `materialLot` → the object in `msg.isa95`. */
const ISA95_SOURCES: Record<string, string> = {
  'isa95-equipment': 'equipment',
  'isa95-material-lot': 'materialLot',
  'isa95-work-order': 'workOrder',
  'isa95-recipe-parameter': 'recipeParameter',
  'isa95-recipe': 'recipeParameter',
};

/**
 * Where a fact definition's `source` says its value is. Only the first word counts, so rule
 * files may add a comment (`ai-score.score (model tool-wear)`):
 * `opcua:<node id>` (latest value seen from that node), `ai-score.<path>` or `inference.<path>`,
 * `isa95.<path>`, `isa95-<object node>.<field>` (falling back to the object's place in the
 * hierarchy, e.g. `isa95-equipment.workCenter`), `payload.<path>`, `msg.<path>`. Anything else
 * (`mes:…`, free text) is left to the message and the node's fact mappings.
 */
function fromSource(rawSource: string, msg: NodeMessage, opcua: ReadonlyMap<string, unknown>): unknown {
  const source = rawSource.trim().split(/\s+/)[0] ?? '';
  if (source.startsWith('opcua:')) return opcua.get(source.slice('opcua:'.length));
  const [head, ...rest] = source.split('.');
  const path = rest.join('.');
  if (ISA95_SOURCES[head] !== undefined) {
    const object = isPlainObject(msg.isa95) ? msg.isa95[ISA95_SOURCES[head]] : undefined;
    return atPath(object, path) ?? atPath(object, `equipment.${path}`);
  }
  switch (head) {
    case 'ai-score':
    case 'inference':
      return atPath(msg.inference, path);
    case 'isa95':
      return atPath(msg.isa95, path);
    case 'payload':
      return atPath(msg.payload, path);
    case 'msg':
      return atPath(msg, path);
    default:
      return undefined;
  }
}

/**
 * The facts one evaluation sees, from the message: the payload's fields, `payload` itself,
 * `isa95` and each of its objects (`materialLot`, …), `inference` (and its `score`), `opcua`
 * (latest value per node id), then every fact the rule set defines with a `source`, then
 * the node's explicit mappings. Later entries win; `undefined` values are left out.
 *
 * @example
 * buildFacts({ payload: 87.5, topic: 'ns=1;s=CNC_Cell_01.SpindleLoad', statusCode: {} },
 *   [{ name: 'spindleLoad', type: 'number', source: 'opcua:ns=1;s=CNC_Cell_01.SpindleLoad' }], opcua, {})
 */
export function buildFacts(
  msg: NodeMessage,
  definitions: readonly FactDefinition[],
  opcua: ReadonlyMap<string, unknown>,
  mapped: Record<string, unknown>,
): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  if (isPlainObject(msg.payload)) Object.assign(facts, msg.payload);
  facts.payload = msg.payload;
  if (isPlainObject(msg.isa95)) {
    facts.isa95 = msg.isa95;
    for (const key of Object.values(ISA95_CONTEXT_KEYS)) if (msg.isa95[key] !== undefined) facts[key] = msg.isa95[key];
  }
  if (isPlainObject(msg.inference)) {
    facts.inference = msg.inference;
    facts.score = msg.inference.score;
  }
  if (opcua.size > 0) facts.opcua = Object.fromEntries(opcua);
  for (const definition of definitions) {
    const value = definition.source ? fromSource(definition.source, msg, opcua) : undefined;
    if (value !== undefined) facts[definition.name] = value;
    else if (
      facts[definition.name] === undefined &&
      isPlainObject(msg.inference) &&
      msg.inference[definition.name] !== undefined
    ) {
      facts[definition.name] = msg.inference[definition.name];
    }
  }
  for (const [name, value] of Object.entries(mapped)) if (value !== undefined) facts[name] = value;
  for (const name of Object.keys(facts)) if (facts[name] === undefined) delete facts[name];
  return facts;
}
