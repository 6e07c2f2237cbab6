import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { LoopgateConfig } from '../config/config';
import { MIGRATIONS } from './migrations';

/**
 * SQLite (better-sqlite3) in `<dataDir>/loopgate.db` by default; PostgreSQL when
 * `LOOPGATE_DATABASE_URL` is set. Migrations run at start; the schema is never synchronized.
 */
export function dataSourceOptions(config: Pick<LoopgateConfig, 'dataDir' | 'databaseUrl'>): DataSourceOptions {
  if (config.databaseUrl) {
    return {
      type: 'postgres',
      url: config.databaseUrl,
      migrations: MIGRATIONS,
      migrationsRun: true,
      synchronize: false,
      // A refused or silent server is reported within seconds, not after the driver's own long wait.
      connectTimeoutMS: 5_000,
      extra: { max: 10 },
    };
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  return {
    type: 'better-sqlite3',
    // Given explicitly: better-sqlite3 13 (Node 24.19+ safe) is outside TypeORM's peer range, so it is not hoisted.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    driver: require('better-sqlite3'),
    database: path.resolve(config.dataDir, 'loopgate.db'),
    migrations: MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    // WAL keeps readers (console, audit queries) off the writers' lock.
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
    },
  };
}
