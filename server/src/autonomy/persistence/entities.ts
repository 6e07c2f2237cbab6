import { Column, Entity, PrimaryColumn } from 'typeorm';

/* Row shapes of earned autonomy's tables (see the migration). Entities never leave the server: mappers turn them into responses. */

/** The stored level of one scope: the truth after the site file seeded it. */
@Entity('autonomy_scopes')
export class AutonomyScopeEntity {
  @PrimaryColumn({ name: 'scope_id', type: 'varchar', length: 620 }) scopeId: string;
  @Column({ type: 'varchar', length: 200 }) target: string;
  @Column({ type: 'varchar', length: 200 }) parameter: string;
  @Column({ type: 'varchar', length: 200 }) model: string;
  @Column({ type: 'varchar', length: 16 }) level: string;
  @Column({ name: 'changed_at', type: 'varchar', length: 30 }) changedAt: string;
  @Column({ name: 'changed_by', type: 'varchar', length: 200 }) changedBy: string;
}

/** One change of a scope's level: configured, promoted (signed, with its evidence) or demoted (with the figures). */
@Entity('autonomy_level_changes')
export class AutonomyLevelChangeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'scope_id', type: 'varchar', length: 620 }) scopeId: string;
  @Column({ name: 'from_level', type: 'varchar', length: 16, nullable: true }) fromLevel: string | null;
  @Column({ name: 'to_level', type: 'varchar', length: 16 }) toLevel: string;
  @Column({ type: 'varchar', length: 16 }) kind: string;
  @Column({ type: 'varchar', length: 200 }) actor: string;
  @Column({ type: 'varchar', length: 30 }) at: string;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ name: 'evidence_json', type: 'text', nullable: true }) evidenceJson: string | null;
  @Column({ name: 'evidence_hash', type: 'varchar', length: 64, nullable: true }) evidenceHash: string | null;
  @Column({ name: 'signature_json', type: 'text', nullable: true }) signatureJson: string | null;
  @Column({ name: 'figures_json', type: 'text', nullable: true }) figuresJson: string | null;
}

/** One AI decision of a scope and what became of it: the evidence, scorecard and training-data row. */
@Entity('autonomy_decisions')
export class AutonomyDecisionEntity {
  @PrimaryColumn({ name: 'command_id', type: 'varchar', length: 36 }) commandId: string;
  @Column({ name: 'scope_id', type: 'varchar', length: 620 }) scopeId: string;
  @Column({ type: 'varchar', length: 16 }) level: string;
  @Column({ name: 'target_instance', type: 'varchar', length: 64 }) targetInstance: string;
  @Column({ type: 'varchar', length: 200 }) parameter: string;
  @Column({ name: 'object_id', type: 'varchar', length: 200 }) objectId: string;
  @Column({ name: 'model_id', type: 'varchar', length: 200 }) modelId: string;
  @Column({ name: 'model_version', type: 'varchar', length: 100, nullable: true }) modelVersion: string | null;
  @Column({ name: 'rule_set_id', type: 'varchar', length: 200, nullable: true }) ruleSetId: string | null;
  @Column({ name: 'rule_set_version', type: 'integer', nullable: true }) ruleSetVersion: number | null;
  @Column({ name: 'inference_id', type: 'varchar', length: 200, nullable: true }) inferenceId: string | null;
  @Column({ type: 'varchar', length: 24 }) state: string;
  @Column({ name: 'reason_code', type: 'varchar', length: 40, nullable: true }) reasonCode: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) approval: string | null;
  @Column({ type: 'integer', default: 0 }) overridden: number;
  @Column({ type: 'integer', default: 0 }) reverted: number;
  @Column({ name: 'revert_command_id', type: 'varchar', length: 36, nullable: true }) revertCommandId: string | null;
  @Column({ name: 'value_json', type: 'text', nullable: true }) valueJson: string | null;
  @Column({ name: 'prior_value_json', type: 'text', nullable: true }) priorValueJson: string | null;
  @Column({ name: 'effect_check_json', type: 'text', nullable: true }) effectCheckJson: string | null;
  @Column({ name: 'effect_json', type: 'text', nullable: true }) effectJson: string | null;
  @Column({ name: 'effect_verdict', type: 'varchar', length: 16, nullable: true }) effectVerdict: string | null;
  @Column({ name: 'received_at', type: 'varchar', length: 30 }) receivedAt: string;
  @Column({ name: 'applied_at', type: 'varchar', length: 30, nullable: true }) appliedAt: string | null;
  @Column({ name: 'updated_at', type: 'varchar', length: 30 }) updatedAt: string;
  @Column({ type: 'varchar', length: 8, nullable: true }) feedback: string | null;
  @Column({ name: 'feedback_note', type: 'text', nullable: true }) feedbackNote: string | null;
  @Column({ name: 'feedback_by', type: 'varchar', length: 200, nullable: true }) feedbackBy: string | null;
  @Column({ name: 'feedback_at', type: 'varchar', length: 30, nullable: true }) feedbackAt: string | null;
}

/** One KPI sample a flow reported (a fact, an MQTT topic, an OPC UA node), for effect checks. */
@Entity('autonomy_kpi_samples')
export class KpiSampleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 200 }) kpi: string;
  @Column({ type: 'varchar', length: 30 }) at: string;
  @Column({ type: 'double precision' }) value: number;
  @Column({ name: 'reported_by', type: 'varchar', length: 200 }) reportedBy: string;
}

export const AUTONOMY_ENTITIES = [
  AutonomyScopeEntity,
  AutonomyLevelChangeEntity,
  AutonomyDecisionEntity,
  KpiSampleEntity,
];
