import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Audit records carry the reason as it was typed (a request's `reason`, a revert's, a pause's, an
 * alarm acknowledgement's). Records written before have none; their hashes do not change, since
 * an absent member is not part of a record's canonical form.
 */
export class AuditReason1768200000000 implements MigrationInterface {
  name = 'AuditReason1768200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('audit_records', new TableColumn({ name: 'reason', type: 'text', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('audit_records', 'reason');
  }
}
