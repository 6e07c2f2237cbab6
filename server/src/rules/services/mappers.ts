import type {
  DecisionRecord,
  ElectronicSignature,
  RuleEvent,
  RuleSetDraft,
  RuleSetFile,
  RuleSetVersion,
  ValidationIssue,
} from '@loopgate/contracts';
import type { RuleDecisionEntity, RuleSetDraftEntity, RuleSetVersionEntity } from '../persistence/entities';

/** A stored version as the API shows it. */
export function toRuleSetVersion(entity: RuleSetVersionEntity): RuleSetVersion {
  const decided =
    entity.status === 'published'
      ? { approvedBy: entity.decidedBy ?? undefined, approvedAt: entity.decidedAt ?? undefined }
      : entity.status === 'rejected'
        ? { rejectedBy: entity.decidedBy ?? undefined, rejectedAt: entity.decidedAt ?? undefined }
        : {};
  return {
    ruleSetId: entity.ruleSetId,
    version: entity.version,
    checksum: entity.checksum,
    author: entity.author,
    createdAt: entity.createdAt,
    status: entity.status as RuleSetVersion['status'],
    environment: entity.environment as RuleSetVersion['environment'],
    content: JSON.parse(entity.content) as RuleSetFile,
    ...Object.fromEntries(Object.entries(decided).filter(([, v]) => v !== undefined)),
    ...(entity.signatureJson ? { signature: JSON.parse(entity.signatureJson) as ElectronicSignature } : {}),
    ...(entity.comment ? { comment: entity.comment } : {}),
    ...(entity.rollbackOf !== null ? { rollbackOf: entity.rollbackOf } : {}),
  };
}

export function toRuleSetDraft(entity: RuleSetDraftEntity, issues: ValidationIssue[]): RuleSetDraft {
  return {
    ruleSetId: entity.ruleSetId,
    content: JSON.parse(entity.content) as RuleSetFile,
    updatedBy: entity.updatedBy,
    updatedAt: entity.updatedAt,
    issues,
  };
}

/** A stored decision as the API shows it, with its id. */
export function toDecisionRecord(entity: RuleDecisionEntity): DecisionRecord & { id: string } {
  return {
    id: entity.id,
    ruleSetId: entity.ruleSetId,
    ruleSetVersion: entity.ruleSetVersion,
    time: entity.decidedAt,
    facts: JSON.parse(entity.factsJson) as Record<string, unknown>,
    firedEvents: JSON.parse(entity.firedEventsJson) as RuleEvent[],
    ...(entity.flowId ? { flowId: entity.flowId } : {}),
    ...(entity.nodeId ? { nodeId: entity.nodeId } : {}),
    ...(entity.inferenceId ? { inferenceId: entity.inferenceId } : {}),
  };
}
