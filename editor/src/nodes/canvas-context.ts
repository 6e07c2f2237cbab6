import type { FactDefinition } from '@loopgate/contracts';
import { createContext, useContext } from 'react';
import type { ChangeKind, ConditionOutcome } from '../graph';

/**
 * What the canvas knows about each node beyond its JSON data: issues, test-run outcomes,
 * diff status. Kept out of node `data` so the data stays the rule's plain JSON.
 */
export interface CanvasAnnotations {
  facts: FactDefinition[];
  issues: Record<string, string[]>;
  outcomes: Record<string, ConditionOutcome>;
  changes: Record<string, ChangeKind>;
  /** Input position (1-based) of each node inside the gate it feeds, when the gate has several. */
  order: Record<string, number>;
}

export const EMPTY_ANNOTATIONS: CanvasAnnotations = { facts: [], issues: {}, outcomes: {}, changes: {}, order: {} };

export const CanvasContext = createContext<CanvasAnnotations>(EMPTY_ANNOTATIONS);

export function useAnnotations(id: string) {
  const a = useContext(CanvasContext);
  return {
    facts: a.facts,
    issues: a.issues[id] ?? [],
    outcome: a.outcomes[id],
    change: a.changes[id],
    order: a.order[id],
  };
}

/** The CSS classes that colour a node by its issues, test outcome and diff status. */
export function annotationClasses(n: ReturnType<typeof useAnnotations>, selected: boolean | undefined): string {
  return [
    'rule-node',
    selected ? 'is-selected' : '',
    n.issues.length > 0 ? 'has-issue' : '',
    n.outcome ? `outcome-${n.outcome}` : '',
    n.change ? `change-${n.change}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
