import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/* Row shapes of the gateway's tables (see the migration). Entities never leave the server: mappers turn them into contracts. */

@Entity('writeback_commands')
export class CommandEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ name: 'request_id', type: 'varchar', length: 200 }) requestId: string;
  @Column({ type: 'varchar', length: 24 }) state: string;
  @Column({ name: 'reason_code', type: 'varchar', length: 40, nullable: true }) reasonCode: string | null;
  @Column({ type: 'text', nullable: true }) message: string | null;
  @Column({ name: 'target_kind', type: 'varchar', length: 32 }) targetKind: string;
  @Column({ name: 'target_instance', type: 'varchar', length: 64 }) targetInstance: string;
  @Column({ name: 'object_type', type: 'varchar', length: 32 }) objectType: string;
  @Column({ name: 'object_id', type: 'varchar', length: 200 }) objectId: string;
  @Column({ name: 'object_json', type: 'text' }) objectJson: string;
  @Column({ type: 'varchar', length: 40 }) action: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) parameter: string | null;
  @Column({ name: 'value_json', type: 'text', nullable: true }) valueJson: string | null;
  @Column({ name: 'details_json', type: 'text', nullable: true }) detailsJson: string | null;
  @Column({ name: 'prior_value_json', type: 'text', nullable: true }) priorValueJson: string | null;
  @Column({ name: 'new_value_json', type: 'text', nullable: true }) newValueJson: string | null;
  @Column({ name: 'ordering_key', type: 'varchar', length: 600 }) orderingKey: string;
  @Column({ type: 'text' }) reason: string;
  @Column({ name: 'not_after', type: 'varchar', length: 30 }) notAfter: string;
  @Column({ type: 'varchar', length: 8 }) initiator: string;
  @Column({ name: 'requested_by', type: 'varchar', length: 200 }) requestedBy: string;
  @Column({ name: 'lineage_json', type: 'text' }) lineageJson: string;
  @Column({ name: 'inference_id', type: 'varchar', length: 200, nullable: true }) inferenceId: string | null;
  @Column({ name: 'revert_of', type: 'varchar', length: 36, nullable: true }) revertOf: string | null;
  @Column({ name: 'reverted_by', type: 'varchar', length: 36, nullable: true }) revertedBy: string | null;
  @Column({ name: 'approval_json', type: 'text', nullable: true }) approvalJson: string | null;
  @Column({ name: 'mes_transaction_id', type: 'varchar', length: 200, nullable: true }) mesTransactionId: string | null;
  @Column({ type: 'integer' }) attempts: number;
  @Column({ name: 'event_time', type: 'varchar', length: 30, nullable: true }) eventTime: string | null;
  @Column({ name: 'received_at', type: 'varchar', length: 30 }) receivedAt: string;
  @Column({ name: 'decided_at', type: 'varchar', length: 30, nullable: true }) decidedAt: string | null;
  @Column({ name: 'applied_at', type: 'varchar', length: 30, nullable: true }) appliedAt: string | null;
  @Column({ name: 'updated_at', type: 'varchar', length: 30 }) updatedAt: string;
}

@Entity('writeback_outbox')
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'integer' }) seq: number;
  @Column({ name: 'command_id', type: 'varchar', length: 36 }) commandId: string;
  @Column({ name: 'ordering_key', type: 'varchar', length: 600 }) orderingKey: string;
  @Column({ name: 'target_instance', type: 'varchar', length: 64 }) targetInstance: string;
}

@Entity('writeback_key_states')
export class KeyStateEntity {
  @PrimaryColumn({ name: 'ordering_key', type: 'varchar', length: 600 }) orderingKey: string;
  @Column({ name: 'value_json', type: 'text', nullable: true }) valueJson: string | null;
  @Column({ name: 'command_id', type: 'varchar', length: 36 }) commandId: string;
  @Column({ name: 'written_at', type: 'varchar', length: 30 }) writtenAt: string;
  @Column({ name: 'overridden_with_json', type: 'text', nullable: true }) overriddenWithJson: string | null;
  @Column({ name: 'hold_until', type: 'varchar', length: 30, nullable: true }) holdUntil: string | null;
}

/** The times of the writes admitted to one key that its rate and cooldown limits still count. */
@Entity('writeback_key_admissions')
export class KeyAdmissionEntity {
  @PrimaryColumn({ name: 'ordering_key', type: 'varchar', length: 600 }) orderingKey: string;
  /** Epoch milliseconds, oldest first, as JSON. */
  @Column({ name: 'times_json', type: 'text' }) timesJson: string;
  /** The open AI episode's baseline `{value, until}`, under a drift budget. */
  @Column({ name: 'baseline_json', type: 'text', nullable: true }) baselineJson: string | null;
  /** When none of them counts any more: the row may be pruned. */
  @Column({ name: 'expires_at', type: 'varchar', length: 30 }) expiresAt: string;
}

@Entity('gateway_control')
export class ControlEntity {
  @PrimaryColumn({ type: 'varchar', length: 200 }) key: string;
  @Column({ name: 'value_json', type: 'text' }) valueJson: string;
  @Column({ name: 'updated_by', type: 'varchar', length: 200 }) updatedBy: string;
  @Column({ name: 'updated_at', type: 'varchar', length: 30 }) updatedAt: string;
}

@Entity('audit_records')
export class AuditRecordEntity {
  @PrimaryColumn({ type: 'integer' }) sequence: number;
  @Column({ type: 'varchar', length: 30 }) time: string;
  @Column({ name: 'command_id', type: 'varchar', length: 36, nullable: true }) commandId: string | null;
  @Column({ name: 'request_id', type: 'varchar', length: 200, nullable: true }) requestId: string | null;
  @Column({ name: 'inference_id', type: 'varchar', length: 200, nullable: true }) inferenceId: string | null;
  @Column({ name: 'lineage_json', type: 'text' }) lineageJson: string;
  @Column({ name: 'target_kind', type: 'varchar', length: 32, nullable: true }) targetKind: string | null;
  @Column({ name: 'target_instance', type: 'varchar', length: 64, nullable: true }) targetInstance: string | null;
  @Column({ name: 'object_type', type: 'varchar', length: 32, nullable: true }) objectType: string | null;
  @Column({ name: 'object_id', type: 'varchar', length: 200, nullable: true }) objectId: string | null;
  @Column({ name: 'object_json', type: 'text', nullable: true }) objectJson: string | null;
  @Column({ type: 'varchar', length: 40, nullable: true }) action: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) parameter: string | null;
  @Column({ name: 'prior_value_json', type: 'text', nullable: true }) priorValueJson: string | null;
  @Column({ name: 'new_value_json', type: 'text', nullable: true }) newValueJson: string | null;
  @Column({ type: 'varchar', length: 24 }) outcome: string;
  @Column({ name: 'reason_code', type: 'varchar', length: 40, nullable: true }) reasonCode: string | null;
  @Column({ type: 'text', nullable: true }) message: string | null;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ type: 'varchar', length: 200 }) actor: string;
  @Column({ name: 'signature_json', type: 'text', nullable: true }) signatureJson: string | null;
  @Column({ name: 'mes_transaction_id', type: 'varchar', length: 200, nullable: true }) mesTransactionId: string | null;
  @Column({ name: 'timings_json', type: 'text', nullable: true }) timingsJson: string | null;
  @Column({ name: 'previous_hash', type: 'varchar', length: 64 }) previousHash: string;
  @Column({ type: 'varchar', length: 64 }) hash: string;
}

@Entity('audit_chain_head')
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'integer' }) id: number;
  @Column({ type: 'integer' }) sequence: number;
  @Column({ type: 'varchar', length: 64 }) hash: string;
}

/** How far the MES event-log mirror has published the audit trail to one target, and who mirrors it. */
@Entity('mes_event_log_cursors')
export class MesEventLogCursorEntity {
  @PrimaryColumn({ name: 'target_instance', type: 'varchar', length: 64 }) targetInstance: string;
  @Column({ type: 'integer' }) sequence: number;
  @Column({ name: 'checkpoint_sequence', type: 'integer' }) checkpointSequence: number;
  @Column({ name: 'lease_owner', type: 'varchar', length: 200, nullable: true }) leaseOwner: string | null;
  /** ISO 8601 (UTC, milliseconds): compared as text, like every time the gateway stores. */
  @Column({ name: 'lease_until', type: 'varchar', length: 30, nullable: true }) leaseUntil: string | null;
  @Column({ name: 'updated_at', type: 'varchar', length: 30 }) updatedAt: string;
}

export const GATEWAY_ENTITIES = [
  CommandEntity,
  OutboxEntity,
  KeyStateEntity,
  KeyAdmissionEntity,
  ControlEntity,
  AuditRecordEntity,
  AuditChainHeadEntity,
  MesEventLogCursorEntity,
];
