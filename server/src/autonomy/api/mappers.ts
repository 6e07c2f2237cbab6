import type { EffectCheck, JudgedEffect } from '../domain/effect';
import type { AutonomyLevel } from '../domain/levels';
import type { AutonomyDecisionEntity, AutonomyLevelChangeEntity } from '../persistence/entities';

/** A level change as the API shows it. */
export interface LevelChangeView {
  id: string;
  scopeId: string;
  from: AutonomyLevel | null;
  to: AutonomyLevel;
  kind: 'configured' | 'promoted' | 'demoted';
  actor: string;
  at: string;
  reason?: string;
  evidenceHash?: string;
  /** A promotion's evidence as it was signed. */
  evidence?: unknown;
  /** A promotion's electronic signature. */
  signature?: unknown;
  /** A demotion's figures: the rate that passed its threshold. */
  figures?: unknown;
}

/** An AI decision, its outcome, effect and feedback, as the API shows it. */
export interface AiDecisionView {
  commandId: string;
  scopeId: string | null;
  level: AutonomyLevel;
  target: string;
  objectId: string;
  parameter: string;
  model: { id: string; version: string | null };
  ruleSet: { id: string; version: number | null } | null;
  inferenceId: string | null;
  state: string;
  reasonCode: string | null;
  approval: string | null;
  /** Times an operator or the MES overrode the value. */
  overridden: number;
  reverted: boolean;
  revertCommandId: string | null;
  value: unknown;
  priorValue: unknown;
  effectCheck: EffectCheck | null;
  effect: JudgedEffect | null;
  feedback: { verdict: 'right' | 'wrong'; note: string | null; by: string | null; at: string | null } | null;
  receivedAt: string;
  appliedAt: string | null;
}

const parse = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));

/** A level change as the API shows it. */
export function levelChangeView(row: AutonomyLevelChangeEntity): LevelChangeView {
  return {
    id: row.id,
    scopeId: row.scopeId,
    from: row.fromLevel as AutonomyLevel | null,
    to: row.toLevel as AutonomyLevel,
    kind: row.kind as LevelChangeView['kind'],
    actor: row.actor,
    at: row.at,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.evidenceHash ? { evidenceHash: row.evidenceHash } : {}),
    ...(row.evidenceJson ? { evidence: parse(row.evidenceJson) } : {}),
    ...(row.signatureJson ? { signature: parse(row.signatureJson) } : {}),
    ...(row.figuresJson ? { figures: parse(row.figuresJson) } : {}),
  };
}

/** An AI decision, its outcome, effect and feedback, as the API shows it. */
export function decisionView(row: AutonomyDecisionEntity): AiDecisionView {
  return {
    commandId: row.commandId,
    scopeId: row.scopeId || null,
    level: row.level as AutonomyLevel,
    target: row.targetInstance,
    objectId: row.objectId,
    parameter: row.parameter,
    model: { id: row.modelId, version: row.modelVersion },
    ruleSet: row.ruleSetId ? { id: row.ruleSetId, version: row.ruleSetVersion } : null,
    inferenceId: row.inferenceId,
    state: row.state,
    reasonCode: row.reasonCode,
    approval: row.approval,
    overridden: row.overridden,
    reverted: row.reverted > 0,
    revertCommandId: row.revertCommandId,
    value: parse(row.valueJson) ?? null,
    priorValue: parse(row.priorValueJson) ?? null,
    effectCheck: (parse(row.effectCheckJson) as EffectCheck | undefined) ?? null,
    effect: (parse(row.effectJson) as JudgedEffect | undefined) ?? null,
    feedback: row.feedback
      ? { verdict: row.feedback as 'right' | 'wrong', note: row.feedbackNote, by: row.feedbackBy, at: row.feedbackAt }
      : null,
    receivedAt: row.receivedAt,
    appliedAt: row.appliedAt,
  };
}
