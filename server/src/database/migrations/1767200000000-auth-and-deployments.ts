import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

const time = (name: string, nullable = false) => ({ name, type: 'varchar', length: '30', isNullable: nullable });

/** Users, sessions and service tokens (issue 9), and the record of CLI deployments. */
export class AuthAndDeployments1767200000000 implements MigrationInterface {
  name = 'AuthAndDeployments1767200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'username', type: 'varchar', length: '64', isUnique: true },
          { name: 'display_name', type: 'varchar', length: '128' },
          { name: 'password_hash', type: 'varchar', length: '255', isNullable: true },
          { name: 'roles', type: 'text' },
          { name: 'disabled', type: 'boolean', default: false },
          { name: 'failed_logins', type: 'integer', default: 0 },
          time('locked_until', true),
          { name: 'external_subject', type: 'varchar', length: '512', isNullable: true, isUnique: true },
          time('created_at'),
          time('updated_at'),
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64', isUnique: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'method', type: 'varchar', length: '16' },
          time('created_at'),
          time('expires_at'),
          time('revoked_at', true),
        ],
        indices: [{ name: 'idx_sessions_user_id', columnNames: ['user_id'] }],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'service_tokens',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'token_hash', type: 'varchar', length: '64', isUnique: true },
          { name: 'hint', type: 'varchar', length: '16' },
          { name: 'created_by', type: 'varchar', length: '64' },
          time('created_at'),
          time('last_used_at', true),
          time('revoked_at', true),
          { name: 'revoked_by', type: 'varchar', length: '64', isNullable: true },
        ],
      }),
    );
    await runner.createTable(
      new Table({
        name: 'deployments',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'deployed_by', type: 'varchar', length: '128' },
          time('deployed_at'),
          { name: 'node_red_url', type: 'varchar', length: '512', isNullable: true },
          { name: 'revision_before', type: 'varchar', length: '128', isNullable: true },
          { name: 'revision_after', type: 'varchar', length: '128', isNullable: true },
          { name: 'items', type: 'text' },
          { name: 'comment', type: 'varchar', length: '500', isNullable: true },
        ],
        indices: [{ name: 'idx_deployments_deployed_at', columnNames: ['deployed_at'] }],
      }),
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['deployments', 'service_tokens', 'sessions', 'users']) await runner.dropTable(table);
  }
}
