import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseInUseError, lockDatabase, type ProcessLock } from './process-lock';

const dirs: string[] = [];
const locks: ProcessLock[] = [];
afterEach(() => {
  for (const lock of locks.splice(0)) lock.release();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function database(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-lock-'));
  dirs.push(dir);
  return path.join(dir, 'loopgate.db');
}

function take(db: string, options?: Parameters<typeof lockDatabase>[1]): ProcessLock {
  const lock = lockDatabase(db, options);
  locks.push(lock);
  return lock;
}

const holder = (pid: number, host = os.hostname()) =>
  `${JSON.stringify({ pid, host, since: '2026-12-04T06:00:00.000Z' })}\n`;

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

describe('lockDatabase', () => {
  it('refuses a second gateway in this process until the first releases the lock', () => {
    const db = database();
    const first = take(db);
    expect(() => lockDatabase(db)).toThrow(DatabaseInUseError);
    first.release();
    expect(fs.existsSync(`${db}.lock`)).toBe(false);
    take(db);
  });

  it('refuses while the holding process lives, and names it', async () => {
    const db = database();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(`${db}.lock`, holder(other.pid!));
      let refused: unknown;
      try {
        lockDatabase(db);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DatabaseInUseError);
      expect(refused).toMatchObject({ code: 'DATABASE_IN_USE', holder: { pid: other.pid } });
      expect((refused as Error).message).toContain(`pid ${other.pid}`);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over the lock of a process killed without releasing it', () => {
    const db = database();
    fs.writeFileSync(`${db}.lock`, holder(deadPid()));
    take(db);
    expect(JSON.parse(fs.readFileSync(`${db}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('respects a holder on another host while its heartbeat is fresh, and takes over once it is stale', () => {
    const db = database();
    fs.writeFileSync(`${db}.lock`, holder(1, 'gateway-on-another-host'));
    const written = fs.statSync(`${db}.lock`).mtimeMs;
    expect(() => lockDatabase(db, { staleMs: 30_000, now: () => written + 10_000 })).toThrow(DatabaseInUseError);
    take(db, { staleMs: 30_000, now: () => written + 31_000 });
  });

  it('takes a half-written or unreadable lock file as no holder', () => {
    const db = database();
    fs.writeFileSync(`${db}.lock`, '{"pid": 12');
    take(db);
  });

  it('never removes a lock another process took over', () => {
    const db = database();
    const lock = lockDatabase(db);
    fs.writeFileSync(`${db}.lock`, holder(process.pid + 1, 'elsewhere'));
    lock.release();
    expect(fs.existsSync(`${db}.lock`)).toBe(true);
  });
});
