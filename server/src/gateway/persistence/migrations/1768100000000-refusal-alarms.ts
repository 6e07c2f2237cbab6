import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Refusal alarms are read from the commands themselves (refusals of one code on one key since the
 * key last took a write), so the gateway writes nothing more per refusal. What people did about an
 * alarm is stored: `writeback_alarm_notes` holds acknowledgements and shelving, keyed by the key,
 * the code and the alarm's first refusal. Two indexes serve the alarm query.
 */
export class RefusalAlarms1768100000000 implements MigrationInterface {
  name = 'RefusalAlarms1768100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'writeback_alarm_notes',
        columns: [
          { name: 'alarm_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16', isPrimary: true },
          { name: 'ordering_key', type: 'varchar', length: '600', isNullable: false },
          { name: 'reason_code', type: 'varchar', length: '40', isNullable: false },
          { name: 'actor', type: 'varchar', length: '200', isNullable: false },
          { name: 'reason', type: 'text', isNullable: false },
          { name: 'at', type: 'varchar', length: '30', isNullable: false },
          { name: 'until', type: 'varchar', length: '30', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex(
      'writeback_commands',
      new TableIndex({ name: 'ix_writeback_commands_state_updated', columnNames: ['state', 'updated_at'] }),
    );
    await queryRunner.createIndex(
      'writeback_commands',
      new TableIndex({ name: 'ix_writeback_commands_key_decided', columnNames: ['ordering_key', 'decided_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('writeback_commands', 'ix_writeback_commands_key_decided');
    await queryRunner.dropIndex('writeback_commands', 'ix_writeback_commands_state_updated');
    await queryRunner.dropTable('writeback_alarm_notes');
  }
}
