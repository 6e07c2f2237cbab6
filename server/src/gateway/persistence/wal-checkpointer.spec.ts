import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../../database/data-source';
import { WalCheckpointer, walCheckpointDecision } from './wal-checkpointer';

const LIMITS = { idleMs: 2_000, restartBytes: 600_000, ceilingBytes: 1_000_000 };

describe('walCheckpointDecision', () => {
  it('leaves an empty WAL alone', () => {
    expect(walCheckpointDecision({ bytes: 0, idleForMs: 60_000 }, LIMITS)).toBeUndefined();
  });

  it('leaves a WAL below the restart size alone while writes go on', () => {
    expect(walCheckpointDecision({ bytes: 500_000, idleForMs: 1_999 }, LIMITS)).toBeUndefined();
  });

  it('starts the WAL over above the restart size while writes go on', () => {
    expect(walCheckpointDecision({ bytes: 600_000, idleForMs: 0 }, LIMITS)).toBe('RESTART');
    expect(walCheckpointDecision({ bytes: 999_999, idleForMs: 1_999 }, LIMITS)).toBe('RESTART');
  });

  it('truncates once writes have stopped for idleMs', () => {
    expect(walCheckpointDecision({ bytes: 500_000, idleForMs: 2_000 }, LIMITS)).toBe('TRUNCATE');
  });

  it('truncates at the ceiling even while writes go on', () => {
    expect(walCheckpointDecision({ bytes: 1_000_000, idleForMs: 0 }, LIMITS)).toBe('TRUNCATE');
  });
});

describe('WalCheckpointer on a SQLite file', () => {
  let dir: string;
  let dataSource: DataSource;
  let checkpointer: WalCheckpointer | undefined;
  let clock: number;
  let registry: Registry;
  let errors: string[];

  const walBytes = () => {
    try {
      return fs.statSync(path.join(dir, 'loopgate.db-wal')).size;
    } catch {
      return 0;
    }
  };
  const writeRows = async (n: number) => {
    for (let i = 0; i < n; i++) await dataSource.query('INSERT INTO filler (body) VALUES (?)', ['x'.repeat(2_000)]);
  };
  const start = (ceilingBytes: number, restartBytes = ceilingBytes) => {
    checkpointer = new WalCheckpointer(dataSource, (m) => errors.push(m), {
      // The timers never fire in a test: each check is called and awaited.
      passiveIntervalMs: 3_600_000,
      checkEveryMs: 3_600_000,
      idleMs: 2_000,
      restartBytes,
      ceilingBytes,
      now: () => clock,
      registry,
    });
    expect(checkpointer.start()).toBe(true);
    return checkpointer;
  };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-wal-'));
    dataSource = await new DataSource({ ...dataSourceOptions({ dataDir: dir }), migrations: [] }).initialize();
    await dataSource.query('CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)');
    clock = 1_000_000;
    registry = new Registry();
    errors = [];
  });

  afterEach(async () => {
    await checkpointer?.stop();
    checkpointer = undefined;
    await dataSource.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not reset the WAL while writes go on below the ceiling', async () => {
    const wal = start(64 * 1024 * 1024);
    await writeRows(200);
    expect(await wal.check()).toBeUndefined();
    clock += 1_000;
    await writeRows(50);
    expect(await wal.check()).toBeUndefined();
    expect(wal.bytes).toBeGreaterThan(400_000);
  });

  it('truncates the WAL to nothing once writes stop for idleMs', async () => {
    const wal = start(64 * 1024 * 1024);
    await writeRows(200);
    await wal.check();
    expect(walBytes()).toBeGreaterThan(400_000);
    clock += 2_000;
    expect(await wal.check()).toMatchObject({ mode: 'TRUNCATE', busy: 0 });
    expect(walBytes()).toBe(0);
    expect(wal.bytes).toBe(0);
    expect((await dataSource.query('SELECT COUNT(*) AS n FROM filler'))[0].n).toBe(200);
  });

  it('starts the WAL over above the restart size: later writes reuse the file instead of growing it', async () => {
    const wal = start(64 * 1024 * 1024, 256 * 1024);
    await writeRows(100);
    clock += 100;
    expect(await wal.check()).toMatchObject({ mode: 'RESTART', busy: 0 });
    const restartedAt = walBytes();
    for (let round = 0; round < 5; round++) {
      await writeRows(100);
      clock += 100;
      await wal.check();
    }
    // Each round writes ~100 pages; without the restarts the file would have grown by five rounds.
    expect(walBytes()).toBeLessThanOrEqual(Math.max(restartedAt, 256 * 1024 + 100 * 4_200));
    expect((await dataSource.query('SELECT COUNT(*) AS n FROM filler'))[0].n).toBe(600);
    expect(errors).toEqual([]);
  });

  it('truncates at the ceiling under continuous writes', async () => {
    const wal = start(256 * 1024);
    for (let round = 0; round < 5; round++) {
      await writeRows(100);
      clock += 100;
      await wal.check();
      expect(walBytes()).toBeLessThan(256 * 1024 + 100 * 4_200);
    }
    expect(errors).toEqual([]);
  });

  it('reports the WAL size as loopgate_sqlite_wal_bytes', async () => {
    const wal = start(64 * 1024 * 1024);
    await writeRows(100);
    await wal.check();
    const metric = await registry.getSingleMetric('loopgate_sqlite_wal_bytes')!.get();
    expect(metric.values[0].value).toBe(walBytes());
    expect(metric.values[0].value).toBeGreaterThan(0);
  });

  it('does nothing on a database that is not a SQLite file', async () => {
    const memory = await new DataSource({
      ...dataSourceOptions({ dataDir: dir }),
      database: ':memory:',
      migrations: [],
    } as DataSourceOptions).initialize();
    expect(new WalCheckpointer(memory).start()).toBe(false);
    await memory.destroy();
  });
});
