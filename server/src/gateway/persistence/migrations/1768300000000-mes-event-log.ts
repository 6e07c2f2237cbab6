import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The MES event-log mirror keeps, per target instance, how far into the audit trail it has
 * published (`sequence`, `checkpoint_sequence`) and which gateway process mirrors it now (a lease,
 * so one process sends a target's events at a time). The events themselves are the audit records:
 * nothing more is written when a command is accepted or applied.
 */
export class MesEventLog1768300000000 implements MigrationInterface {
  name = 'MesEventLog1768300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'mes_event_log_cursors',
        columns: [
          { name: 'target_instance', type: 'varchar', length: '64', isPrimary: true },
          { name: 'sequence', type: 'integer', isNullable: false },
          { name: 'checkpoint_sequence', type: 'integer', isNullable: false },
          { name: 'lease_owner', type: 'varchar', length: '200', isNullable: true },
          { name: 'lease_until', type: 'varchar', length: '30', isNullable: true },
          { name: 'updated_at', type: 'varchar', length: '30', isNullable: false },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mes_event_log_cursors');
  }
}
