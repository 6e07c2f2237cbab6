import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Login throttling is counted in the database (rate-limiter-flexible's SQLite and PostgreSQL
 * stores), so every gateway process behind a load balancer counts the same failed passwords. The
 * table has the shape those stores expect: a key (`<prefix>:<account>\0<address>`), points and
 * an expiry in epoch milliseconds.
 */
export class LoginThrottle1768400000000 implements MigrationInterface {
  name = 'LoginThrottle1768400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'auth_login_throttle',
        columns: [
          { name: 'key', type: 'varchar', length: '600', isPrimary: true },
          { name: 'points', type: 'integer', isNullable: false, default: 0 },
          { name: 'expire', type: 'bigint', isNullable: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('auth_login_throttle');
  }
}
