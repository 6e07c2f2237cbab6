import type { NodeAPI, NodeMessage } from './node-red';

/** A typedInput value as the editor saves it: `{ value: 'payload.score', type: 'msg' }`. */
export interface TypedValue {
  value: string;
  type: string;
}

/** Reads `node[prop]` and `node[prop + 'Type']` from a node definition into a TypedValue. */
export function typedProperty(def: Record<string, unknown>, prop: string, defaultType = 'str'): TypedValue {
  const value = def[prop];
  const type = def[`${prop}Type`];
  return {
    value: value === undefined || value === null ? '' : String(value),
    type: typeof type === 'string' && type !== '' ? type : defaultType,
  };
}

/** typedInput types whose empty value means "nothing to evaluate". */
const EMPTY_MEANS_UNSET = new Set(['str', 'msg', 'env', 'flow', 'global', 'num', 'jsonata', 'json']);

/** True when the property has nothing to evaluate (an empty string or an empty message path). */
export function isUnset(prop: TypedValue): boolean {
  return prop.value === '' && EMPTY_MEANS_UNSET.has(prop.type);
}

/**
 * Evaluates a typedInput value against a message, asynchronously so JSONata and persistent
 * context stores work the same way on Node-RED 4.1 and 5. An unset property yields `undefined`.
 *
 * @example
 * const score = await evaluate(RED, node, { value: 'payload.score', type: 'msg' }, msg);
 */
export function evaluate(RED: NodeAPI, node: object, prop: TypedValue, msg: NodeMessage): Promise<unknown> {
  if (isUnset(prop)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    try {
      RED.util.evaluateNodeProperty(prop.value, prop.type, node, msg, (err, result) =>
        err ? reject(err) : resolve(result),
      );
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Reads an environment variable the Node-RED way: the node's group, tab, global settings, then `process.env`. */
export function readEnv(RED: NodeAPI, node: object, name: string): string | undefined {
  let result: unknown;
  RED.util.evaluateNodeProperty(name, 'env', node, undefined, (_err, value) => {
    result = value;
  });
  if (typeof result === 'string' && result !== '') return result;
  const fromProcess = process.env[name];
  return fromProcess === undefined || fromProcess === '' ? undefined : fromProcess;
}

/**
 * Substitutes `${NAME}` anywhere in a string (Node-RED itself only substitutes whole values).
 *
 * @example
 * expandEnv('http://127.0.0.1:${LOOPGATE_PORT}', (n) => ({ LOOPGATE_PORT: '1880' })[n])
 * // → { value: 'http://127.0.0.1:1880', missing: [] }
 */
export function expandEnv(
  template: string,
  lookup: (name: string) => string | undefined,
): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = template.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_match, name: string) => {
    const found = lookup(name);
    if (found === undefined) {
      missing.push(name);
      return '';
    }
    return found;
  });
  return { value, missing };
}
