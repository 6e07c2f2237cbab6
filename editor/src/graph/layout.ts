import type { Condition, RuleDefinition } from '@loopgate/contracts';
import type { RuleLayout } from './model';
import { CONDITIONS_PATH, EVENT_PATH, childPath } from './paths';

/** Horizontal distance between a condition and the gate it feeds, and the height of one row. */
export const COLUMN_WIDTH = 300;
export const ROW_HEIGHT = 120;

interface Placed {
  path: string;
  depth: number;
  y: number;
}

function childrenOf(condition: Condition, path: string): { condition: Condition; path: string }[] {
  if ('all' in condition) return condition.all.map((c, i) => ({ condition: c, path: childPath(path, 'all', i) }));
  if ('any' in condition) return condition.any.map((c, i) => ({ condition: c, path: childPath(path, 'any', i) }));
  if ('not' in condition) return [{ condition: condition.not, path: childPath(path, 'not', 0) }];
  return [];
}

/**
 * A tidy left-to-right tree: leaves on consecutive rows, each gate centred on its inputs,
 * the event at the far right. Used when a rule has no stored layout.
 */
export function autoLayout(rule: Pick<RuleDefinition, 'conditions'>): RuleLayout {
  const placed: Placed[] = [];
  let nextRow = 0;
  let maxDepth = 0;
  const visit = (condition: Condition, path: string, depth: number): number => {
    maxDepth = Math.max(maxDepth, depth);
    const children = childrenOf(condition, path);
    let y: number;
    if (children.length === 0) {
      y = nextRow * ROW_HEIGHT;
      nextRow += 1;
    } else {
      const ys = children.map((child) => visit(child.condition, child.path, depth + 1));
      y = (ys[0] + ys[ys.length - 1]) / 2;
    }
    placed.push({ path, depth, y });
    return y;
  };
  const rootY = visit(rule.conditions, CONDITIONS_PATH, 1);
  const layout: RuleLayout = { [EVENT_PATH]: { x: maxDepth * COLUMN_WIDTH, y: rootY } };
  for (const p of placed) layout[p.path] = { x: (maxDepth - p.depth) * COLUMN_WIDTH, y: p.y };
  return layout;
}
