import type { MigrationInterface } from 'typeorm';

/**
 * Every schema change, in order. Migrations use TypeORM's QueryRunner/Table API so the same
 * class runs on SQLite and PostgreSQL; the schema is never synchronized outside tests.
 * Add new migrations at the end; never edit one that has shipped.
 */
export const MIGRATIONS: (new () => MigrationInterface)[] = [];
