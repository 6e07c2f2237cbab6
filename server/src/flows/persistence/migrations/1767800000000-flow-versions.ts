import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const str = (name: string, length: number, nullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const text = (name: string, nullable = false) => ({ name, type: 'text', isNullable: nullable });
const int = (name: string, nullable = false) => ({ name, type: 'integer', isNullable: nullable });

/** Flow change control (issue 12): immutable flow versions under the two-person rule. */
export class FlowVersions1767800000000 implements MigrationInterface {
  name = 'FlowVersions1767800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'flow_versions',
        columns: [
          { ...int('version'), isPrimary: true },
          str('checksum', 64),
          text('content'),
          str('author', 200),
          str('created_at', 30),
          str('status', 24),
          str('source', 16),
          int('node_count'),
          text('diff_json'),
          str('comment', 500, true),
          int('rollback_of', true),
          str('decided_by', 200, true),
          str('decided_at', 30, true),
          text('signature_json', true),
        ],
        indices: [new TableIndex({ name: 'ix_flow_versions_status', columnNames: ['status'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('flow_versions');
  }
}
