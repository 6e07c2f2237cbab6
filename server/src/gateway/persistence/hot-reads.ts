import type { DataSource } from 'typeorm';
import { placeholders, type Dialect } from './sql';

interface NativeStatement {
  all(...params: unknown[]): unknown[];
}
interface NativeConnection {
  prepare(sql: string): NativeStatement;
}

/**
 * better-sqlite3's own connection under TypeORM (one per data source), for work that runs on it
 * directly: prepared statements, synchronous transactions, pragmas. Undefined on other drivers.
 */
export function betterSqliteConnection<T>(dataSource: DataSource): T | undefined {
  if (dataSource.options.type !== 'better-sqlite3') return undefined;
  return (dataSource.driver as unknown as { databaseConnection?: T }).databaseConnection;
}

/**
 * Reads on hot paths (every request, every write attempt): on SQLite a statement prepared once per
 * query on better-sqlite3's own connection, run synchronously; on PostgreSQL the driver's plain
 * query. Never the query builder, whose work per call cost more than the read. SQL is written with
 * `?` placeholders for both.
 */
export class HotReads {
  private readonly prepared = new Map<string, NativeStatement>();
  private readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    /** `false` reads through TypeORM's query on SQLite too (as on PostgreSQL); for tests. */
    private readonly allowNative = true,
  ) {
    this.dialect = dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  async rows(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    const native = this.native();
    if (!native)
      return (await this.dataSource.query(placeholders(this.dialect, sql), params)) as Record<string, unknown>[];
    let statement = this.prepared.get(sql);
    if (!statement) this.prepared.set(sql, (statement = native.prepare(sql)));
    return statement.all(...params) as Record<string, unknown>[];
  }

  private native(): NativeConnection | undefined {
    return this.allowNative ? betterSqliteConnection<NativeConnection>(this.dataSource) : undefined;
  }
}
