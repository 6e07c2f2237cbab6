import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const str = (name: string, length: number, nullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const text = (name: string, nullable = false) => ({ name, type: 'text', isNullable: nullable });
const int = (name: string, nullable = false) => ({ name, type: 'integer', isNullable: nullable });

/** The rule registry (issue 6): immutable rule set versions, drafts, and the decisions kept for what-if replay. */
export class RuleRegistry1767400000000 implements MigrationInterface {
  name = 'RuleRegistry1767400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'rule_set_versions',
        columns: [
          { ...str('rule_set_id', 128), isPrimary: true },
          { ...int('version'), isPrimary: true },
          str('name', 200),
          str('checksum', 64),
          text('content'),
          str('author', 200),
          str('created_at', 30),
          str('status', 24),
          str('environment', 16),
          str('comment', 500, true),
          int('rollback_of', true),
          str('decided_by', 200, true),
          str('decided_at', 30, true),
          text('signature_json', true),
        ],
        indices: [
          new TableIndex({
            name: 'ix_rule_set_versions_status',
            columnNames: ['rule_set_id', 'environment', 'status'],
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'rule_set_drafts',
        columns: [
          { ...str('rule_set_id', 128), isPrimary: true },
          str('name', 200),
          text('content'),
          str('updated_by', 200),
          str('updated_at', 30),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'rule_decisions',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('rule_set_id', 128),
          int('rule_set_version'),
          str('decided_at', 30),
          text('facts_json'),
          text('fired_events_json'),
          str('flow_id', 200, true),
          str('node_id', 200, true),
          str('inference_id', 200, true),
          str('recorded_by', 200),
          str('recorded_at', 30),
        ],
        indices: [new TableIndex({ name: 'ix_rule_decisions_window', columnNames: ['rule_set_id', 'decided_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['rule_decisions', 'rule_set_drafts', 'rule_set_versions']) await queryRunner.dropTable(table);
  }
}
