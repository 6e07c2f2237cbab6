import type { EffectVerdict } from './effect';
import type { AutonomyLevel } from './levels';

/** What one AI decision of a scope contributed, as evidence reads it. */
export interface DecisionFacts {
  level: AutonomyLevel;
  state: string;
  reasonCode?: string | null;
  /** A person's signature on a supervised write. */
  approval?: 'approved' | 'rejected' | null;
  /** How often an operator changed the value this decision wrote. */
  overridden: number;
  reverted: boolean;
  verdict?: EffectVerdict | null;
  /** An operator's mark: right (agree) or wrong (disagree). */
  feedback?: 'right' | 'wrong' | null;
}

/** The evidence of a scope over a period: what a signer sees before promoting it. */
export interface ScopeEvidence {
  decisions: number;
  shadowDecisions: number;
  /** Shadow decisions an operator marked: agree (right) and disagree (wrong). */
  agreed: number;
  disagreed: number;
  /** agreed / (agreed + disagreed), or null when none was marked. */
  agreement: number | null;
  supervisedApproved: number;
  supervisedRejected: number;
  /** approved / (approved + rejected), or null when none was signed. */
  approvalRate: number | null;
  applied: number;
  /** Refusals by reason code (guardrails, expiry; not the wait for a signature). */
  refusedByCode: Record<string, number>;
  interlockRefusals: number;
  overridden: number;
  reverted: number;
  effects: Record<EffectVerdict, number>;
  feedbackRight: number;
  feedbackWrong: number;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/**
 * Adds up the evidence of a scope's decisions.
 *
 * @example evidenceOf(rows).agreement // 0.97
 */
export function evidenceOf(decisions: readonly DecisionFacts[]): ScopeEvidence {
  const evidence: ScopeEvidence = {
    decisions: decisions.length,
    shadowDecisions: 0,
    agreed: 0,
    disagreed: 0,
    agreement: null,
    supervisedApproved: 0,
    supervisedRejected: 0,
    approvalRate: null,
    applied: 0,
    refusedByCode: {},
    interlockRefusals: 0,
    overridden: 0,
    reverted: 0,
    effects: { improved: 0, 'no-change': 0, adverse: 0, 'no-data': 0 },
    feedbackRight: 0,
    feedbackWrong: 0,
  };
  for (const d of decisions) {
    if (d.state === 'shadow') {
      evidence.shadowDecisions++;
      if (d.feedback === 'right') evidence.agreed++;
      if (d.feedback === 'wrong') evidence.disagreed++;
    }
    if (d.approval === 'approved') evidence.supervisedApproved++;
    if (d.approval === 'rejected') evidence.supervisedRejected++;
    if (d.state === 'applied' || d.reverted) evidence.applied++;
    if ((d.state === 'rejected' || d.state === 'expired') && d.reasonCode && d.approval !== 'rejected') {
      evidence.refusedByCode[d.reasonCode] = (evidence.refusedByCode[d.reasonCode] ?? 0) + 1;
      if (d.reasonCode === 'SAFETY_INTERLOCK') evidence.interlockRefusals++;
    }
    if (d.overridden > 0) evidence.overridden++;
    if (d.reverted) evidence.reverted++;
    if (d.verdict) evidence.effects[d.verdict]++;
    if (d.feedback === 'right') evidence.feedbackRight++;
    if (d.feedback === 'wrong') evidence.feedbackWrong++;
  }
  evidence.agreement = ratio(evidence.agreed, evidence.agreed + evidence.disagreed);
  evidence.approvalRate = ratio(evidence.supervisedApproved, evidence.supervisedApproved + evidence.supervisedRejected);
  return evidence;
}

/** What the site file asks before a scope may move up to a level. */
export interface PromotionThresholds {
  /** Evidence is counted over this many days before the promotion. */
  periodDays: number;
  minShadowDecisions?: number;
  /** Of the shadow decisions operators marked, at least this share agreed (0..1). */
  minAgreement?: number;
  /** At least this many shadow decisions were marked by an operator. */
  minReviewed?: number;
  minSupervisedDecisions?: number;
  /** Of the supervised writes signed, at least this share approved (0..1). */
  minApprovalRate?: number;
  maxInterlockRefusals?: number;
  maxOverrides?: number;
  maxReverts?: number;
  maxAdverseEffects?: number;
}

/** One threshold the evidence does not meet, with a stable code. */
export interface ThresholdIssue {
  code: string;
  threshold: number;
  actual: number | null;
  message: string;
}

/**
 * The thresholds the evidence does not meet; empty when the scope may be promoted.
 *
 * @example unmetThresholds(evidence, { periodDays: 30, minShadowDecisions: 200 })
 */
export function unmetThresholds(evidence: ScopeEvidence, thresholds: PromotionThresholds): ThresholdIssue[] {
  const issues: ThresholdIssue[] = [];
  const atLeast = (code: string, threshold: number | undefined, actual: number | null, what: string) => {
    if (threshold !== undefined && (actual === null || actual < threshold))
      issues.push({
        code,
        threshold,
        actual,
        message: `${what} is ${actual ?? 'not known'}, needs at least ${threshold}`,
      });
  };
  const atMost = (code: string, threshold: number | undefined, actual: number, what: string) => {
    if (threshold !== undefined && actual > threshold)
      issues.push({ code, threshold, actual, message: `${what} is ${actual}, allows at most ${threshold}` });
  };
  atLeast('SHADOW_DECISIONS', thresholds.minShadowDecisions, evidence.shadowDecisions, 'shadow decisions');
  atLeast('REVIEWED', thresholds.minReviewed, evidence.agreed + evidence.disagreed, 'shadow decisions marked');
  atLeast('AGREEMENT', thresholds.minAgreement, evidence.agreement, 'operator agreement');
  atLeast(
    'SUPERVISED_DECISIONS',
    thresholds.minSupervisedDecisions,
    evidence.supervisedApproved + evidence.supervisedRejected,
    'signed supervised writes',
  );
  atLeast('APPROVAL_RATE', thresholds.minApprovalRate, evidence.approvalRate, 'approval rate');
  atMost('INTERLOCK_REFUSALS', thresholds.maxInterlockRefusals, evidence.interlockRefusals, 'interlock refusals');
  atMost('OVERRIDES', thresholds.maxOverrides, evidence.overridden, 'overridden writes');
  atMost('REVERTS', thresholds.maxReverts, evidence.reverted, 'reverted writes');
  atMost('ADVERSE_EFFECTS', thresholds.maxAdverseEffects, evidence.effects.adverse, 'adverse effects');
  return issues;
}

/** When a scope drops a level by itself: rates over a window, each judged once enough decisions are in it. */
export interface DemotionPolicy {
  windowHours: number;
  /** A rate is judged only once its denominator reaches this many. */
  minDecisions: number;
  /** Overridden / applied. */
  maxOverrideRate?: number;
  /** Reverted / applied. */
  maxRevertRate?: number;
  /** Rejected by a signer / signed. */
  maxRejectionRate?: number;
  /** Adverse / effects judged (not counting no-data). */
  maxAdverseRate?: number;
}

export interface DemotionTrigger {
  rule: 'override-rate' | 'revert-rate' | 'rejection-rate' | 'adverse-effect-rate';
  count: number;
  of: number;
  rate: number;
  threshold: number;
}

/**
 * The first rate over its threshold in the window's evidence, or undefined. A rate is judged only
 * once `minDecisions` are behind it, so one early override does not demote a scope.
 */
export function demotionTrigger(evidence: ScopeEvidence, policy: DemotionPolicy): DemotionTrigger | undefined {
  const judged = evidence.effects.improved + evidence.effects['no-change'] + evidence.effects.adverse;
  const rates: [DemotionTrigger['rule'], number | undefined, number, number][] = [
    ['override-rate', policy.maxOverrideRate, evidence.overridden, evidence.applied],
    ['revert-rate', policy.maxRevertRate, evidence.reverted, evidence.applied],
    [
      'rejection-rate',
      policy.maxRejectionRate,
      evidence.supervisedRejected,
      evidence.supervisedApproved + evidence.supervisedRejected,
    ],
    ['adverse-effect-rate', policy.maxAdverseRate, evidence.effects.adverse, judged],
  ];
  for (const [rule, threshold, count, of] of rates) {
    if (threshold === undefined || of < policy.minDecisions) continue;
    const rate = count / of;
    if (rate > threshold) return { rule, count, of, rate, threshold };
  }
  return undefined;
}
