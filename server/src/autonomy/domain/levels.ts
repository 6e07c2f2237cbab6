import { matchesPattern } from '../../gateway/domain/wildcard';

/** How much a scope's AI may do: decide and audit only, write with a signature, write under guardrails only. */
export const AUTONOMY_LEVELS = ['shadow', 'supervised', 'autonomous'] as const;
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number];

/**
 * Which AI writes a level applies to: a target instance, a parameter (or action) pattern and a model
 * id, each an exact name or a pattern with `*`.
 */
export interface ScopeSelector {
  target: string;
  /** A parameter name for parameter writes, else the action (`hold-lot`); `*` stands for any run of characters. */
  parameter: string;
  model: string;
}

/** What a decision is about, as scopes match it. */
export interface ScopeSubject {
  target: string;
  /** The parameter, or the action when the write has no parameter. */
  parameter: string;
  /** The model id from the lineage; `unknown` when the flow named none. */
  model: string;
}

/** The stable id of a scope: its three parts joined with `|`. */
export const scopeIdOf = (selector: ScopeSelector): string =>
  `${selector.target}|${selector.parameter}|${selector.model}`;

export function selectorOf(scopeId: string): ScopeSelector {
  const [target = '', parameter = '', model = ''] = scopeId.split('|');
  return { target, parameter, model };
}

export const levelIndex = (level: AutonomyLevel): number => AUTONOMY_LEVELS.indexOf(level);

/** The level one step up, or undefined at the top. */
export const levelAbove = (level: AutonomyLevel): AutonomyLevel | undefined => AUTONOMY_LEVELS[levelIndex(level) + 1];

/** The level one step down; shadow stays shadow. */
export const levelBelow = (level: AutonomyLevel): AutonomyLevel => AUTONOMY_LEVELS[Math.max(0, levelIndex(level) - 1)];

export function matchesScope(selector: ScopeSelector, subject: ScopeSubject): boolean {
  return (
    matchesPattern(selector.target, subject.target) &&
    matchesPattern(selector.parameter, subject.parameter) &&
    matchesPattern(selector.model, subject.model)
  );
}

/**
 * How specific a selector is, compared part by part in the order model, parameter, target: an exact
 * name beats a pattern, a pattern with more fixed characters beats one with fewer, `*` is last.
 */
function specificity(selector: ScopeSelector): number[] {
  return [selector.model, selector.parameter, selector.target].flatMap((part) => [
    part.includes('*') ? 0 : 1,
    part.replace(/\*/g, '').length,
  ]);
}

function compareSpecificity(a: ScopeSelector, b: ScopeSelector): number {
  const sa = specificity(a);
  const sb = specificity(b);
  for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sb[i] - sa[i];
  return scopeIdOf(a).localeCompare(scopeIdOf(b));
}

/**
 * The most specific scope that matches `subject`, or undefined when none does.
 *
 * @example mostSpecificScope([{ target: '*', parameter: '*', model: 'tool-wear' }, ...], subject)
 */
export function mostSpecificScope<T extends ScopeSelector>(scopes: readonly T[], subject: ScopeSubject): T | undefined {
  return scopes.filter((scope) => matchesScope(scope, subject)).sort(compareSpecificity)[0];
}
