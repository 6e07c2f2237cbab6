import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Requests to the API are counted per principal (and per client address before sign-in) in the
 * database, so every gateway process behind a load balancer shares one allowance. Same shape as
 * `auth_login_throttle`: rate-limiter-flexible's SQLite and PostgreSQL stores.
 */
export class ApiRequestLimit1768600000000 implements MigrationInterface {
  name = 'ApiRequestLimit1768600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'api_request_limit',
        columns: [
          { name: 'key', type: 'varchar', length: '600', isPrimary: true },
          { name: 'points', type: 'integer', isNullable: false, default: 0 },
          { name: 'expire', type: 'bigint', isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('api_request_limit');
  }
}
