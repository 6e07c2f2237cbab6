import type { Condition, ConditionResult, RuleDefinition } from '@loopgate/contracts';
import { CONDITIONS_PATH, childPath } from './paths';

/** How a condition fared in a test run; `skipped` when the engine short-circuited past it. */
export type ConditionOutcome = 'passed' | 'failed' | 'skipped';

/**
 * Per-path outcomes of one rule's test run. Results the engine reported are taken as they are;
 * gates it did not report are derived from their inputs the way json-rules-engine combines them.
 *
 * @example conditionOutcomes(rule, result.results[0].conditions)['$.conditions.all[0]'] // 'passed'
 */
export function conditionOutcomes(
  rule: Pick<RuleDefinition, 'conditions'>,
  results: ConditionResult[],
): Record<string, ConditionOutcome> {
  const reported = new Map(results.map((r) => [r.path, r.result]));
  const outcomes: Record<string, ConditionOutcome> = {};
  const visit = (condition: Condition, path: string): ConditionOutcome => {
    let outcome: ConditionOutcome;
    if ('all' in condition || 'any' in condition) {
      const gate = 'all' in condition ? 'all' : 'any';
      const inputs = 'all' in condition ? condition.all : condition.any;
      const children = inputs.map((c, i) => visit(c, childPath(path, gate, i)));
      if (gate === 'all') {
        outcome = children.includes('failed') ? 'failed' : children.every((c) => c === 'passed') ? 'passed' : 'skipped';
      } else {
        outcome = children.includes('passed') ? 'passed' : children.every((c) => c === 'failed') ? 'failed' : 'skipped';
      }
    } else if ('not' in condition) {
      const child = visit(condition.not, childPath(path, 'not', 0));
      outcome = child === 'passed' ? 'failed' : child === 'failed' ? 'passed' : 'skipped';
    } else {
      outcome = 'skipped';
    }
    const own = reported.get(path);
    if (own !== undefined) outcome = own ? 'passed' : 'failed';
    outcomes[path] = outcome;
    return outcome;
  };
  visit(rule.conditions, CONDITIONS_PATH);
  return outcomes;
}
