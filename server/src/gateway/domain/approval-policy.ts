import type { Isa95ObjectType, ParameterValue, WriteBackAction } from '@loopgate/contracts';
import { stepBetween } from './values';
import { matchesPattern } from './wildcard';

/**
 * A change-control rule from site configuration: matching commands wait for a person's signature.
 * All criteria given must hold; step criteria need the prior value.
 *
 * @example { name: 'lot release', actions: ['release-lot'], requiresQuality: true }
 * @example { name: 'recipe step above 2 %', actions: ['set-parameter'], stepPercentAbove: 2 }
 */
export interface ApprovalRule {
  name: string;
  actions?: WriteBackAction[];
  objectTypes?: Isa95ObjectType[];
  parameter?: string;
  object?: string;
  initiator?: 'ai' | 'human';
  stepPercentAbove?: number;
  stepAbove?: number;
  /** Only QA (`writeback:approve-quality`) may sign. */
  requiresQuality?: boolean;
  /** An unsigned command expires after this long (capped by its `notAfter`). */
  expiresAfterSeconds?: number;
}

export interface ApprovalSubject {
  action: WriteBackAction;
  objectType: Isa95ObjectType;
  objectId: string;
  parameter?: string;
  value?: ParameterValue;
  initiator: 'ai' | 'human';
}

export interface ApprovalRequirement {
  rule: string;
  requiresQuality: boolean;
  expiresAfterSeconds: number;
}

export const DEFAULT_APPROVAL_TTL_SECONDS = 3600;

function matchesStatically(rule: ApprovalRule, subject: ApprovalSubject): boolean {
  if (rule.actions && !rule.actions.includes(subject.action)) return false;
  if (rule.objectTypes && !rule.objectTypes.includes(subject.objectType)) return false;
  if (rule.parameter !== undefined && !matchesPattern(rule.parameter, subject.parameter)) return false;
  if (rule.object !== undefined && !matchesPattern(rule.object, subject.objectId)) return false;
  if (rule.initiator && rule.initiator !== subject.initiator) return false;
  return true;
}

function hasStepCriteria(rule: ApprovalRule): boolean {
  return rule.stepPercentAbove !== undefined || rule.stepAbove !== undefined;
}

/** Whether deciding needs the value at the target now (a rule on step size could match). */
export function approvalNeedsPrior(rules: readonly ApprovalRule[], subject: ApprovalSubject): boolean {
  return rules.some((rule) => hasStepCriteria(rule) && matchesStatically(rule, subject));
}

/**
 * The approval a command needs, if any. `prior` is the value read at the target; when a step rule
 * applies and the step cannot be measured from it (not a number, nothing there), approval is
 * required. Without `prior` (the target did not answer) step rules are not judged here: the
 * dispatcher judges them from the read just before the write (`stepApprovalAtDispatch`).
 */
export function requiredApproval(
  rules: readonly ApprovalRule[],
  subject: ApprovalSubject,
  prior?: { value: ParameterValue | null | undefined },
): ApprovalRequirement | undefined {
  const matched = rules.filter((rule) => {
    if (!matchesStatically(rule, subject)) return false;
    if (!hasStepCriteria(rule)) return true;
    if (!prior) return false;
    const step = stepBetween(prior.value, subject.value);
    if (!step) return subject.value !== undefined;
    return (
      (rule.stepPercentAbove !== undefined && step.percent > rule.stepPercentAbove) ||
      (rule.stepAbove !== undefined && step.absolute > rule.stepAbove)
    );
  });
  if (matched.length === 0) return undefined;
  return {
    rule: matched[0].name,
    requiresQuality: matched.some((rule) => rule.requiresQuality === true),
    expiresAfterSeconds: Math.min(...matched.map((rule) => rule.expiresAfterSeconds ?? DEFAULT_APPROVAL_TTL_SECONDS)),
  };
}

/**
 * The step rules judged again at dispatch, from the value read just before the write (`undefined`
 * when the target offers no read): a command accepted while the target did not answer at submit,
 * or whose value moved since, waits for a signature here instead.
 *
 * @example stepApprovalAtDispatch(rules, subject, { value: 1000 }) // { rule: 'recipe step above 2 %', ... }
 */
export function stepApprovalAtDispatch(
  rules: readonly ApprovalRule[],
  subject: ApprovalSubject,
  prior: { value: ParameterValue | null | undefined },
): ApprovalRequirement | undefined {
  return requiredApproval(rules.filter(hasStepCriteria), subject, prior);
}
