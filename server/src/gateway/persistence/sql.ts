/** The two SQL dialects the gateway runs on; both support multi-row VALUES and ON CONFLICT upserts. */
export type Dialect = 'sqlite' | 'postgres';

type Row = Record<string, unknown>;

/** Rows per statement: 33 columns × 250 rows stays under SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_STATEMENT = 250;

const quote = (name: string) => `"${name}"`;

/**
 * Multi-row INSERT (optionally an upsert on `conflict`), split into statements of at most
 * `ROWS_PER_STATEMENT` rows. Returns `[sql, params]` pairs to run in order.
 */
export function insertStatements(
  dialect: Dialect,
  table: string,
  columns: readonly string[],
  rows: readonly Row[],
  conflict?: { keys: readonly string[]; update: readonly string[] },
): [string, unknown[]][] {
  const statements: [string, unknown[]][] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const marks = columns.map((column) => {
        const value = row[column];
        params.push(value === undefined ? null : value);
        return dialect === 'postgres' ? `$${params.length}` : '?';
      });
      return `(${marks.join(',')})`;
    });
    let sql = `INSERT INTO ${quote(table)} (${columns.map(quote).join(',')}) VALUES ${tuples.join(',')}`;
    if (conflict) {
      const updates = conflict.update.map((column) => `${quote(column)} = excluded.${quote(column)}`).join(', ');
      sql += ` ON CONFLICT (${conflict.keys.map(quote).join(',')}) DO UPDATE SET ${updates}`;
    }
    statements.push([sql, params]);
  }
  return statements;
}

/** `DELETE FROM table WHERE column IN (...)`, split like inserts. */
export function deleteStatements(
  dialect: Dialect,
  table: string,
  column: string,
  values: readonly unknown[],
): [string, unknown[]][] {
  const statements: [string, unknown[]][] = [];
  for (let start = 0; start < values.length; start += ROWS_PER_STATEMENT * 10) {
    const chunk = values.slice(start, start + ROWS_PER_STATEMENT * 10);
    const marks = chunk.map((_v, i) => (dialect === 'postgres' ? `$${i + 1}` : '?'));
    statements.push([`DELETE FROM ${quote(table)} WHERE ${quote(column)} IN (${marks.join(',')})`, [...chunk]]);
  }
  return statements;
}

/** A `?`-placeholder query in the dialect's placeholder style. */
export function placeholders(dialect: Dialect, sql: string): string {
  if (dialect === 'sqlite') return sql;
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
