import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The audit trail indexed by target and sequence: the MES event-log mirror reads a target's records
 * after its cursor, and the Targets page counts those not yet sent, on every refresh. With the
 * index both are a range over the records not yet sent, however long the trail; it replaces the
 * index on the target alone (its prefix).
 */
export class AuditTargetSequence1768500000000 implements MigrationInterface {
  name = 'AuditTargetSequence1768500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'audit_records',
      new TableIndex({ name: 'ix_audit_records_target_sequence', columnNames: ['target_instance', 'sequence'] }),
    );
    await queryRunner.dropIndex('audit_records', 'ix_audit_records_target');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'audit_records',
      new TableIndex({ name: 'ix_audit_records_target', columnNames: ['target_instance'] }),
    );
    await queryRunner.dropIndex('audit_records', 'ix_audit_records_target_sequence');
  }
}
