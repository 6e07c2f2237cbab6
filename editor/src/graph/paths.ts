/** JSON paths inside one rule, the addresses validation issues and test results use. */
import { indexPath, isPathWithin } from '@loopgate/rules/core';

export { isPathWithin, ruleRelativePath } from '@loopgate/rules/core';

export const CONDITIONS_PATH = '$.conditions';
export const EVENT_PATH = '$.event';

/** The path of the `index`-th input of a gate: `$.conditions.all[2]`, or `$.conditions.not` for `not`. */
export function childPath(parentPath: string, gate: 'all' | 'any' | 'not', index: number): string {
  return gate === 'not' ? `${parentPath}.not` : indexPath(`${parentPath}.${gate}`, index);
}

/** A stable node id for a path: `$.conditions.all[0]` → `c.all.0`; `$.event` → `event`. */
export function nodeIdForPath(path: string): string {
  if (path === EVENT_PATH) return 'event';
  return 'c' + path.slice(CONDITIONS_PATH.length).replace(/\[(\d+)\]/g, '.$1');
}

/**
 * The node an issue's path belongs to: the node with the longest path containing it.
 * Rule-level fields (`$.name`, `$.priority`) and the event belong to the event node.
 *
 * @example nodeForPath({ 'c': '$.conditions', 'c.all.0': '$.conditions.all[0]' }, '$.conditions.all[0].operator') // 'c.all.0'
 */
export function nodeForPath(pathsByNode: Record<string, string>, path: string): string | undefined {
  let best: string | undefined;
  let bestLength = -1;
  let eventNode: string | undefined;
  for (const [nodeId, nodePath] of Object.entries(pathsByNode)) {
    if (nodePath === EVENT_PATH) eventNode = nodeId;
    if (isPathWithin(path, nodePath) && nodePath.length > bestLength) {
      best = nodeId;
      bestLength = nodePath.length;
    }
  }
  if (best !== undefined) return best;
  if (path === '$' || path === '$.name' || path === '$.priority') return eventNode;
  return undefined;
}
