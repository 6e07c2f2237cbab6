import type { DataSource } from 'typeorm';
import { placeholders, type Dialect } from './sql';

interface NativeStatement {
  all(...params: unknown[]): unknown[];
}
interface NativeConnection {
  prepare(sql: string): NativeStatement;
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
    if (this.dialect !== 'sqlite' || !this.allowNative) return undefined;
    const db = (this.dataSource.driver as unknown as { databaseConnection?: NativeConnection }).databaseConnection;
    return db && typeof db.prepare === 'function' ? db : undefined;
  }
}
