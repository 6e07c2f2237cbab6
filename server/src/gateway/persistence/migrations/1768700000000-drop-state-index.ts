import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Drops the index on the command's state alone: the index on (state, updated_at) answers every
 * lookup by state as well (its prefix), and each of a command's three state changes rewrote an
 * entry in both.
 */
export class DropStateIndex1768700000000 implements MigrationInterface {
  name = 'DropStateIndex1768700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('writeback_commands', 'ix_writeback_commands_state');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'writeback_commands',
      new TableIndex({ name: 'ix_writeback_commands_state', columnNames: ['state'] }),
    );
  }
}
