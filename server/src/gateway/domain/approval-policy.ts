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
 * The approval a command needs, if any. `prior` is the value at the target; when a step rule
 * applies and the step cannot be measured (prior unknown or not a number), approval is required.
 */
export function requiredApproval(
  rules: readonly ApprovalRule[],
  subject: ApprovalSubject,
  prior?: { value: ParameterValue | null | undefined },
): ApprovalRequirement | undefined {
  const matched = rules.filter((rule) => {
    if (!matchesStatically(rule, subject)) return false;
    if (!hasStepCriteria(rule)) return true;
    const step = prior ? stepBetween(prior.value, subject.value) : undefined;
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
