import { Logger } from '@nestjs/common';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterSQLite,
  type IRateLimiterStoreOptions,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { betterSqliteConnection } from '../../gateway/persistence/hot-reads';

export type LimiterOptions = Pick<
  IRateLimiterStoreOptions,
  'keyPrefix' | 'points' | 'duration' | 'inMemoryBlockOnConsumed' | 'insuranceLimiter'
>;

/**
 * Limiters counted in the gateway's own database, so every gateway process behind a load balancer
 * judges the same counts: better-sqlite3's connection or TypeORM's PostgreSQL pool, in `table`
 * (created by the migrations in the shape rate-limiter-flexible's stores expect). In memory
 * without a data source (unit tests).
 */
export function storedLimiters(
  dataSource: DataSource | undefined,
  table: string,
  owner: string,
): (options: LimiterOptions) => RateLimiterAbstract {
  const store = { tableName: table, tableCreated: true, clearExpiredByTimeout: true };
  const master = (dataSource?.driver as { master?: unknown } | undefined)?.master;
  if (dataSource?.options.type === 'postgres' && master) {
    return (options) => new RateLimiterPostgres({ ...options, ...store, storeClient: master, storeType: 'pool' });
  }
  const sqlite = dataSource && betterSqliteConnection<unknown>(dataSource);
  if (sqlite) {
    return (options) =>
      new PreparedRateLimiterSQLite({ ...options, ...store, storeClient: sqlite, storeType: 'better-sqlite3' });
  }
  if (dataSource) new Logger(owner).warn(`counting in memory: no store for a ${dataSource.options.type} database`);
  return (options) => new RateLimiterMemory(options);
}

interface PreparedStatement {
  get(...params: unknown[]): unknown;
}

/**
 * rate-limiter-flexible's SQLite store, with its upsert prepared once instead of on every request
 * and run as the single atomic statement it is (the store wraps it in a deferred transaction of
 * its own). Counting every API request made the preparation alone a tenth of the gateway's CPU.
 */
class PreparedRateLimiterSQLite extends RateLimiterSQLite {
  private readonly prepared = new Map<string, PreparedStatement>();

  _upsertTransactionBetterSQLite3(
    connection: { prepare(sql: string): PreparedStatement },
    query: string,
    params: unknown[],
  ): unknown {
    let statement = this.prepared.get(query);
    if (!statement) {
      statement = connection.prepare(query);
      this.prepared.set(query, statement);
    }
    return statement.get(...params);
  }
}
