import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const text = (name: string, nullable = true) => ({ name, type: 'text', isNullable: nullable });
const str = (name: string, length: number, nullable = true) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const int = (name: string) => ({ name, type: 'integer', isNullable: false, default: 0 });

/** Earned autonomy: the level per scope, its history, each AI decision's evidence, KPI samples. */
export class EarnedAutonomy1767600000000 implements MigrationInterface {
  name = 'EarnedAutonomy1767600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'autonomy_scopes',
        columns: [
          { ...str('scope_id', 620, false), isPrimary: true },
          str('target', 200, false),
          str('parameter', 200, false),
          str('model', 200, false),
          str('level', 16, false),
          str('changed_at', 30, false),
          str('changed_by', 200, false),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'autonomy_level_changes',
        columns: [
          { ...str('id', 36, false), isPrimary: true },
          str('scope_id', 620, false),
          str('from_level', 16),
          str('to_level', 16, false),
          str('kind', 16, false),
          str('actor', 200, false),
          str('at', 30, false),
          text('reason'),
          text('evidence_json'),
          str('evidence_hash', 64),
          text('signature_json'),
          text('figures_json'),
        ],
        indices: [new TableIndex({ name: 'ix_autonomy_level_changes_scope', columnNames: ['scope_id', 'at'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'autonomy_decisions',
        columns: [
          { ...str('command_id', 36, false), isPrimary: true },
          str('scope_id', 620, false),
          str('level', 16, false),
          str('target_instance', 64, false),
          str('parameter', 200, false),
          str('object_id', 200, false),
          str('model_id', 200, false),
          str('model_version', 100),
          str('rule_set_id', 200),
          { name: 'rule_set_version', type: 'integer', isNullable: true },
          str('inference_id', 200),
          str('state', 24, false),
          str('reason_code', 40),
          str('approval', 16),
          int('overridden'),
          int('reverted'),
          str('revert_command_id', 36),
          text('value_json'),
          text('prior_value_json'),
          text('effect_check_json'),
          text('effect_json'),
          str('effect_verdict', 16),
          str('received_at', 30, false),
          str('applied_at', 30),
          str('updated_at', 30, false),
          str('feedback', 8),
          text('feedback_note'),
          str('feedback_by', 200),
          str('feedback_at', 30),
        ],
        indices: [
          new TableIndex({ name: 'ix_autonomy_decisions_scope', columnNames: ['scope_id', 'received_at'] }),
          new TableIndex({ name: 'ix_autonomy_decisions_model', columnNames: ['model_id', 'received_at'] }),
          new TableIndex({ name: 'ix_autonomy_decisions_effect', columnNames: ['effect_verdict', 'applied_at'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'autonomy_kpi_samples',
        columns: [
          { ...str('id', 36, false), isPrimary: true },
          str('kpi', 200, false),
          str('at', 30, false),
          { name: 'value', type: 'double precision', isNullable: false },
          str('reported_by', 200, false),
        ],
        indices: [new TableIndex({ name: 'ix_autonomy_kpi_samples', columnNames: ['kpi', 'at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['autonomy_kpi_samples', 'autonomy_decisions', 'autonomy_level_changes', 'autonomy_scopes'])
      await queryRunner.dropTable(table);
  }
}
