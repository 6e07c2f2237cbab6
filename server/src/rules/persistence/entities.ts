import { Column, Entity, PrimaryColumn } from 'typeorm';

/* Row shapes of the rule registry's tables (see the migration). Entities never leave the server: mappers turn them into contracts. */

/** One immutable version of a rule set. Only the decision fields (status, decided_by/at, signature) ever change, once. */
@Entity('rule_set_versions')
export class RuleSetVersionEntity {
  @PrimaryColumn({ name: 'rule_set_id', type: 'varchar', length: 128 }) ruleSetId: string;
  @PrimaryColumn({ type: 'integer' }) version: number;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 64 }) checksum: string;
  /** The canonical file text; its SHA-256 is `checksum`. */
  @Column({ type: 'text' }) content: string;
  @Column({ type: 'varchar', length: 200 }) author: string;
  @Column({ name: 'created_at', type: 'varchar', length: 30 }) createdAt: string;
  @Column({ type: 'varchar', length: 24 }) status: string;
  @Column({ type: 'varchar', length: 16 }) environment: string;
  @Column({ type: 'varchar', length: 500, nullable: true }) comment: string | null;
  @Column({ name: 'rollback_of', type: 'integer', nullable: true }) rollbackOf: number | null;
  @Column({ name: 'decided_by', type: 'varchar', length: 200, nullable: true }) decidedBy: string | null;
  @Column({ name: 'decided_at', type: 'varchar', length: 30, nullable: true }) decidedAt: string | null;
  @Column({ name: 'signature_json', type: 'text', nullable: true }) signatureJson: string | null;
}

/** The working copy of a rule set, one per rule set; it may be invalid. */
@Entity('rule_set_drafts')
export class RuleSetDraftEntity {
  @PrimaryColumn({ name: 'rule_set_id', type: 'varchar', length: 128 }) ruleSetId: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'text' }) content: string;
  @Column({ name: 'updated_by', type: 'varchar', length: 200 }) updatedBy: string;
  @Column({ name: 'updated_at', type: 'varchar', length: 30 }) updatedAt: string;
}

/** The facts one rule evaluation in a flow saw and the events it fired, kept for what-if replay. */
@Entity('rule_decisions')
export class RuleDecisionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'rule_set_id', type: 'varchar', length: 128 }) ruleSetId: string;
  @Column({ name: 'rule_set_version', type: 'integer' }) ruleSetVersion: number;
  /** When the flow evaluated (ISO 8601, UTC, milliseconds), which orders and windows replays. */
  @Column({ name: 'decided_at', type: 'varchar', length: 30 }) decidedAt: string;
  @Column({ name: 'facts_json', type: 'text' }) factsJson: string;
  @Column({ name: 'fired_events_json', type: 'text' }) firedEventsJson: string;
  @Column({ name: 'flow_id', type: 'varchar', length: 200, nullable: true }) flowId: string | null;
  @Column({ name: 'node_id', type: 'varchar', length: 200, nullable: true }) nodeId: string | null;
  @Column({ name: 'inference_id', type: 'varchar', length: 200, nullable: true }) inferenceId: string | null;
  @Column({ name: 'recorded_by', type: 'varchar', length: 200 }) recordedBy: string;
  @Column({ name: 'recorded_at', type: 'varchar', length: 30 }) recordedAt: string;
}

export const RULE_ENTITIES = [RuleSetVersionEntity, RuleSetDraftEntity, RuleDecisionEntity];
