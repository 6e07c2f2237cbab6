import type { AutonomyDecisionEntity, AutonomyLevelChangeEntity } from '../persistence/entities';

const parse = (text: string | null): unknown => (text === null ? undefined : JSON.parse(text));

/** A level change as the API shows it. */
export function levelChangeView(row: AutonomyLevelChangeEntity) {
  return {
    id: row.id,
    scopeId: row.scopeId,
    from: row.fromLevel,
    to: row.toLevel,
    kind: row.kind,
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
export function decisionView(row: AutonomyDecisionEntity) {
  return {
    commandId: row.commandId,
    scopeId: row.scopeId || null,
    level: row.level,
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
    effectCheck: parse(row.effectCheckJson) ?? null,
    effect: parse(row.effectJson) ?? null,
    feedback: row.feedback
      ? { verdict: row.feedback, note: row.feedbackNote, by: row.feedbackBy, at: row.feedbackAt }
      : null,
    receivedAt: row.receivedAt,
    appliedAt: row.appliedAt,
  };
}
