/**
 * Database-facing tests run against both engines the gateway supports: SQLite in a temporary
 * folder and PostgreSQL (a fresh database per call on the services' cluster).
 *
 * @example
 * describe.each(databaseKinds())('users on %s', (kind) => {
 *   let db: TestDatabase;
 *   beforeAll(async () => (db = await createTestDatabase(kind, { name: 'users' })));
 *   afterAll(() => db.cleanup());
 *   it('...', async () => {
 *     const source = await new DataSource({ ...db.options, entities: [UserEntity] }).initialize();
 *   });
 * });
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions } from '../../server/src/database/data-source';
import { ensureServices } from './services';

export type DatabaseKind = 'sqlite' | 'postgres';

/** Both engines, or those named in LOOPGATE_TEST_DATABASES (e.g. `sqlite`) for a quick local run. */
export function databaseKinds(): DatabaseKind[] {
  const named = process.env.LOOPGATE_TEST_DATABASES?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!named?.length) return ['sqlite', 'postgres'];
  for (const kind of named)
    if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`LOOPGATE_TEST_DATABASES: unknown database ${kind}`);
  return named as DatabaseKind[];
}

export interface TestDatabase {
  kind: DatabaseKind;
  /** The gateway's own options for this database (migrations listed, run at initialize). */
  options: DataSourceOptions;
  /** `postgres://...` of the fresh database, or the SQLite file. */
  location: string;
  /** Drops the PostgreSQL database or removes the SQLite folder. */
  cleanup(): Promise<void>;
}

/** A new, empty database; `name` shows up in the PostgreSQL database name to help debugging. */
export async function createTestDatabase(
  kind: DatabaseKind,
  { name = 'test' }: { name?: string } = {},
): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `loopgate-db-${name}-`));
    const options = dataSourceOptions({ dataDir });
    return {
      kind,
      options,
      location: path.join(dataDir, 'loopgate.db'),
      cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const { postgres } = await ensureServices(['postgres']);
  const database = `lg_${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(postgres.url, (admin) => admin.query(`CREATE DATABASE "${database}" OWNER "${postgres.user}"`));
  const url = new URL(postgres.url);
  url.pathname = `/${database}`;
  const options = dataSourceOptions({ dataDir: os.tmpdir(), databaseUrl: url.toString() });
  return {
    kind,
    options,
    location: url.toString(),
    cleanup: () =>
      withAdmin(postgres.url, (admin) => admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** A DataSource on a fresh database with the given entities, initialized (migrations run); cleanup destroys and drops it. */
export async function openTestDataSource(
  kind: DatabaseKind,
  {
    name,
    entities = [],
    migrationsRun = true,
  }: { name?: string; entities?: NonNullable<DataSourceOptions['entities']>; migrationsRun?: boolean } = {},
): Promise<{ dataSource: DataSource; database: TestDatabase; cleanup(): Promise<void> }> {
  const database = await createTestDatabase(kind, { name });
  const dataSource = new DataSource({ ...database.options, entities, migrationsRun } as DataSourceOptions);
  try {
    await dataSource.initialize();
  } catch (error) {
    await database.cleanup();
    throw error;
  }
  return {
    dataSource,
    database,
    cleanup: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.cleanup();
    },
  };
}

/** Runs statements on the services' `loopgate` database (CREATE/DROP DATABASE cannot run inside the new one). */
async function withAdmin<T>(url: string, work: (admin: DataSource) => Promise<T>): Promise<T> {
  const admin = await new DataSource({ type: 'postgres', url, extra: { max: 1 } }).initialize();
  try {
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}
