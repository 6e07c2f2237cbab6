/**
 * Every migration and every entity on both engines the gateway supports. Entities are found by
 * scanning server/src for `@Entity(` and migrations come from MIGRATIONS, so what other modules
 * add later is covered without editing this file.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Column,
  DataSource,
  Entity,
  getMetadataArgsStorage,
  PrimaryColumn,
  type ColumnType,
  type EntityMetadata,
} from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../server/src/database/migrations';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';

type ColumnMetadata = EntityMetadata['columns'][number];

const SERVER_SRC = path.resolve(__dirname, '../../server/src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) && !/\.(spec|test)\.ts$/.test(entry.name) ? [full] : [];
  });
}

/** Every class decorated with @Entity in server/src. */
async function discoverEntities(): Promise<{ file: string; entity: new () => object }[]> {
  const files = sourceFiles(SERVER_SRC).filter((file) => fs.readFileSync(file, 'utf8').includes('@Entity('));
  const targets = new Set<unknown>();
  const found: { file: string; entity: new () => object }[] = [];
  for (const file of files) {
    const module = (await import(file)) as Record<string, unknown>;
    const tables = new Set(getMetadataArgsStorage().tables.map((t) => t.target));
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && tables.has(value) && !targets.has(value)) {
        targets.add(value);
        found.push({ file: path.relative(SERVER_SRC, file), entity: value as new () => object });
      }
    }
  }
  return found;
}

const TEXT = 'Zürich ΔT 工程 ';

function text(length: number | undefined, variant: number): string {
  const size = length ?? 40;
  return `${variant}${TEXT.repeat(Math.ceil(size / TEXT.length) + 1)}`.slice(0, size);
}

function typeName(type: ColumnType): string {
  if (typeof type === 'string') return type.toLowerCase();
  if (type === String) return 'varchar';
  if (type === Number) return 'integer';
  if (type === Boolean) return 'boolean';
  if (type === Date) return 'datetime';
  return String((type as { name?: string }).name ?? type).toLowerCase();
}

/** A value that fills the column as far as it is declared: full length, non-ASCII, large numbers. */
function sampleValue(column: ColumnMetadata, variant: number): unknown {
  if (column.enum?.length) return column.enum[variant % column.enum.length];
  const type = typeName(column.type);
  const length = column.length ? Number(column.length) : undefined;
  if (['varchar', 'character varying', 'nvarchar', 'char', 'character', 'text', 'string', 'uuid'].includes(type)) {
    return type === 'uuid' ? randomUUID() : text(type === 'text' ? 200 : length, variant);
  }
  if (['int', 'integer', 'int4', 'smallint', 'int2', 'tinyint'].includes(type))
    return variant === 1 ? 2_000_000_000 : variant + 1;
  if (['bigint', 'int8'].includes(type)) return variant === 1 ? '9007199254740993' : String(variant + 1);
  if (['real', 'float', 'float4', 'float8', 'double', 'double precision', 'numeric', 'decimal'].includes(type))
    return 1.5 + variant;
  if (['boolean', 'bool'].includes(type)) return variant % 2 === 1;
  if (['datetime', 'timestamp', 'timestamptz', 'timestamp with time zone', 'date'].includes(type))
    return new Date(Date.UTC(2026, 0, 2 + variant, 3, 4, 5));
  if (['simple-json', 'json', 'jsonb'].includes(type)) return { variant, list: [1, 'ü', null], nested: { ok: true } };
  if (type === 'simple-array') return ['a', `ü${variant}`];
  if (['blob', 'bytea'].includes(type)) return Buffer.from([0, 1, 2, 255, variant]);
  throw new Error(`no sample value for column ${column.propertyPath} of type ${type}: extend sampleValue`);
}

/** Variant 0 sets every column; variant 1 leaves nullable columns null and uses the extremes. */
function sampleRow(metadata: EntityMetadata, variant: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of metadata.columns) {
    if (column.isGenerated || column.isCreateDate || column.isUpdateDate || column.isVersion || column.relationMetadata)
      continue;
    row[column.propertyName] =
      variant === 1 && column.isNullable && !column.isPrimary ? null : sampleValue(column, variant);
  }
  return row;
}

/** The database's type name for a column as the driver normalizes it, e.g. `character varying` → `varchar`. */
function normalizedType(source: DataSource, type: ColumnType | string, length?: string): string {
  const name = source.driver.normalizeType({ type: type as ColumnType, length }).toLowerCase();
  return name === 'character varying' ? 'varchar' : name;
}

/**
 * Compares what the migrations built with what the entities map, column by column, ignoring
 * what TypeORM's schema diff trips over but a database does not care about (constraint and
 * index names, indexes the migrations add for queries).
 */
async function schemaProblems(source: DataSource): Promise<string[]> {
  const problems: string[] = [];
  const runner = source.createQueryRunner();
  try {
    for (const metadata of source.entityMetadatas) {
      const table = await runner.getTable(metadata.tablePath);
      if (!table) {
        problems.push(`${metadata.tableName}: no table (no migration creates it)`);
        continue;
      }
      const mapped = new Set(metadata.columns.map((c) => c.databaseName));
      for (const extra of table.columns.filter(
        (c) => !mapped.has(c.name) && !c.isNullable && c.default === undefined && !c.isGenerated,
      )) {
        problems.push(
          `${metadata.tableName}.${extra.name}: NOT NULL without default, unknown to the entity (inserts fail)`,
        );
      }
      for (const column of metadata.columns) {
        const where = `${metadata.tableName}.${column.databaseName}`;
        const found = table.findColumnByName(column.databaseName);
        if (!found) {
          problems.push(`${where}: missing`);
          continue;
        }
        const wantType = normalizedType(source, source.driver.normalizeType(column));
        const haveType = normalizedType(source, found.type);
        if (wantType !== haveType) problems.push(`${where}: type ${haveType}, entity maps ${wantType}`);
        const wantLength = source.driver.getColumnLength(column) || '';
        if (wantType === 'varchar' && String(found.length || '') !== String(wantLength)) {
          problems.push(`${where}: length ${found.length || 'none'}, entity maps ${wantLength || 'none'}`);
        }
        if (found.isNullable !== column.isNullable)
          problems.push(`${where}: ${found.isNullable ? 'nullable' : 'NOT NULL'}, entity maps the opposite`);
        if (found.isPrimary !== column.isPrimary)
          problems.push(`${where}: primary key ${found.isPrimary}, entity maps ${column.isPrimary}`);
      }
      for (const unique of metadata.uniques) {
        const columns = unique.columns
          .map((c) => c.databaseName)
          .sort()
          .join(',');
        const enforced =
          table.uniques.some((u) => [...u.columnNames].sort().join(',') === columns) ||
          table.indices.some((i) => i.isUnique && [...i.columnNames].sort().join(',') === columns) ||
          (unique.columns.length === 1 && table.findColumnByName(unique.columns[0].databaseName)?.isUnique === true);
        if (!enforced)
          problems.push(`${metadata.tableName}: no unique constraint on (${columns}) that the entity declares`);
      }
    }
  } finally {
    await runner.release();
  }
  return problems;
}

/** Maps the `users` table wrongly on purpose: proves the schema comparison can fail. */
@Entity('users')
class DriftedUser {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @Column({ type: 'varchar', length: 32 }) username: string;
  @Column({ name: 'display_name', type: 'varchar', length: 128, nullable: true }) displayName: string | null;
  @Column({ name: 'shoe_size', type: 'integer' }) shoeSize: number;
}

describe.each(databaseKinds())('migrations and entities on %s', (kind) => {
  let db: TestDatabase;
  let source: DataSource;
  let entities: { file: string; entity: new () => object }[];

  beforeAll(async () => {
    entities = await discoverEntities();
    db = await createTestDatabase(kind, { name: 'engines' });
    source = await new DataSource({
      ...db.options,
      entities: entities.map((e) => e.entity),
      migrationsRun: true,
      logging: false,
    }).initialize();
  });

  afterAll(async () => {
    if (source?.isInitialized) await source.destroy();
    await db?.cleanup();
  });

  it('finds the entities of every module', () => {
    expect(entities.length).toBeGreaterThan(0);
    expect(entities.map((e) => e.file)).toEqual(expect.arrayContaining([expect.stringMatching(/\.entity\.ts$/)]));
  });

  it('runs every migration', async () => {
    const ran = (await source.query(`SELECT name FROM ${source.driver.escape('migrations')} ORDER BY id`)) as {
      name: string;
    }[];
    expect(ran.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => new m().name ?? m.name));
  });

  it('creates every table, column, type, length, nullability, key and unique the entities map', async () => {
    expect(await schemaProblems(source)).toEqual([]);
  });

  it('reports a column, length and nullability the migrations did not create', async () => {
    const drifted = await new DataSource({ ...db.options, entities: [DriftedUser], migrationsRun: false }).initialize();
    try {
      const problems = await schemaProblems(drifted);
      expect(problems).toEqual(
        expect.arrayContaining([
          'users.username: length 64, entity maps 32',
          'users.display_name: NOT NULL, entity maps the opposite',
          'users.shoe_size: missing',
        ]),
      );
    } finally {
      await drifted.destroy();
    }
  });

  it('round-trips every entity, every column filled and with nulls', async () => {
    const problems: string[] = [];
    for (const { entity, file } of entities) {
      const metadata = source.getMetadata(entity);
      const repository = source.getRepository(entity);
      for (const variant of [0, 1]) {
        const row = sampleRow(metadata, variant);
        try {
          const saved = (await repository.save(repository.create(row))) as Record<string, unknown>;
          const id = metadata.getEntityIdMap(saved);
          if (!id) throw new Error('saved row has no primary key');
          const loaded = await repository.findOneByOrFail(id);
          expect(loaded).toEqual(expect.objectContaining(row));
        } catch (error) {
          problems.push(`${metadata.tableName} (${file}) variant ${variant}: ${(error as Error).message}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('reverts every migration and runs them again', async () => {
    const tables = source.entityMetadatas.map((m) => m.tableName);
    for (let i = 0; i < MIGRATIONS.length; i += 1) await source.undoLastMigration({ transaction: 'each' });
    const runner = source.createQueryRunner();
    try {
      for (const table of tables)
        expect({ table, exists: await runner.hasTable(table) }).toEqual({ table, exists: false });
    } finally {
      await runner.release();
    }
    const again = await source.runMigrations({ transaction: 'each' });
    expect(again).toHaveLength(MIGRATIONS.length);
    expect(await schemaProblems(source)).toEqual([]);
  });
});
