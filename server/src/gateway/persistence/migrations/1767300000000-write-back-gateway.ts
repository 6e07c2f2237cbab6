import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const text = (name: string, nullable = true) => ({ name, type: 'text', isNullable: nullable });
const str = (name: string, length: number, nullable = true) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const int = (name: string, nullable = false) => ({ name, type: 'integer', isNullable: nullable });

/** The write-back gateway's tables: commands, the outbox, key states, control state, the audit chain. */
export class WriteBackGateway1767300000000 implements MigrationInterface {
  name = 'WriteBackGateway1767300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'writeback_commands',
        columns: [
          { ...str('id', 36, false), isPrimary: true },
          str('request_id', 200, false),
          str('state', 24, false),
          str('reason_code', 40),
          text('message'),
          str('target_kind', 32, false),
          str('target_instance', 64, false),
          str('object_type', 32, false),
          str('object_id', 200, false),
          text('object_json', false),
          str('action', 40, false),
          str('parameter', 200),
          text('value_json'),
          text('details_json'),
          text('prior_value_json'),
          text('new_value_json'),
          str('ordering_key', 600, false),
          text('reason', false),
          str('not_after', 30, false),
          str('initiator', 8, false),
          str('requested_by', 200, false),
          text('lineage_json', false),
          str('inference_id', 200),
          str('revert_of', 36),
          str('reverted_by', 36),
          text('approval_json'),
          str('mes_transaction_id', 200),
          int('attempts'),
          str('event_time', 30),
          str('received_at', 30, false),
          str('decided_at', 30),
          str('applied_at', 30),
          str('updated_at', 30, false),
        ],
        indices: [
          new TableIndex({ name: 'uq_writeback_commands_request', columnNames: ['request_id'], isUnique: true }),
          new TableIndex({ name: 'ix_writeback_commands_state', columnNames: ['state'] }),
          new TableIndex({ name: 'ix_writeback_commands_received', columnNames: ['received_at'] }),
          new TableIndex({ name: 'ix_writeback_commands_target', columnNames: ['target_instance', 'received_at'] }),
          new TableIndex({ name: 'ix_writeback_commands_object', columnNames: ['object_id'] }),
          new TableIndex({ name: 'ix_writeback_commands_inference', columnNames: ['inference_id'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'writeback_outbox',
        columns: [
          { ...int('seq'), isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          str('command_id', 36, false),
          str('ordering_key', 600, false),
          str('target_instance', 64, false),
        ],
        indices: [new TableIndex({ name: 'ix_writeback_outbox_command', columnNames: ['command_id'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'writeback_key_states',
        columns: [
          { ...str('ordering_key', 600, false), isPrimary: true },
          text('value_json'),
          str('command_id', 36, false),
          str('written_at', 30, false),
          text('overridden_with_json'),
          str('hold_until', 30),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'gateway_control',
        columns: [
          { ...str('key', 200, false), isPrimary: true },
          text('value_json', false),
          str('updated_by', 200, false),
          str('updated_at', 30, false),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_records',
        columns: [
          { ...int('sequence'), isPrimary: true },
          str('time', 30, false),
          str('command_id', 36),
          str('request_id', 200),
          str('inference_id', 200),
          text('lineage_json', false),
          str('target_kind', 32),
          str('target_instance', 64),
          str('object_type', 32),
          str('object_id', 200),
          text('object_json'),
          str('action', 40),
          str('parameter', 200),
          text('prior_value_json'),
          text('new_value_json'),
          str('outcome', 24, false),
          str('reason_code', 40),
          text('message'),
          str('actor', 200, false),
          text('signature_json'),
          str('mes_transaction_id', 200),
          text('timings_json'),
          str('previous_hash', 64, false),
          str('hash', 64, false),
        ],
        indices: [
          new TableIndex({ name: 'ix_audit_records_time', columnNames: ['time'] }),
          new TableIndex({ name: 'ix_audit_records_target', columnNames: ['target_instance'] }),
          new TableIndex({ name: 'ix_audit_records_object', columnNames: ['object_id'] }),
          new TableIndex({ name: 'ix_audit_records_outcome', columnNames: ['outcome'] }),
          new TableIndex({ name: 'ix_audit_records_inference', columnNames: ['inference_id'] }),
          new TableIndex({ name: 'ix_audit_records_command', columnNames: ['command_id'] }),
        ],
      }),
    );
    // One row: the chain's head. Appends lock it, so the chain never forks, across processes too.
    await queryRunner.createTable(
      new Table({
        name: 'audit_chain_head',
        columns: [{ ...int('id'), isPrimary: true }, int('sequence'), str('hash', 64, false)],
      }),
    );
    await queryRunner.query(
      `INSERT INTO "audit_chain_head" ("id", "sequence", "hash") VALUES (1, 0, '${'0'.repeat(64)}')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_chain_head',
      'audit_records',
      'gateway_control',
      'writeback_key_states',
      'writeback_outbox',
      'writeback_commands',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
