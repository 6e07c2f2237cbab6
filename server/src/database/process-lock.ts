import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * A second gateway process on the same SQLite database would go around every guarantee that rests
 * on there being one: its engine orders its own keys only, so two processes could dispatch two
 * writes to one key at once. The gateway therefore holds `<database>.lock` while it runs, and a
 * second start on the same data folder is refused with `DATABASE_IN_USE`. (Several processes share
 * a database only on PostgreSQL, where key claims and the relay lock span processes.)
 *
 * The lock names its holder (pid, host). A holder on this host is alive while its pid is; the lock
 * of a process killed with -9 is taken over at once. A holder on another host (a shared volume) is
 * alive while it keeps the file's time fresh, which it does every `heartbeatMs`.
 */
export class DatabaseInUseError extends Error {
  readonly code = 'DATABASE_IN_USE';

  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the database is in use by another gateway process (pid ${holder.pid} on ${holder.host}, since ${holder.since}); ` +
        `stop it first, or run several gateway processes on PostgreSQL (LOOPGATE_DATABASE_URL). Lock: ${lockFile}`,
    );
    this.name = 'DatabaseInUseError';
  }
}

export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

export interface ProcessLock {
  readonly file: string;
  release(): void;
}

export interface ProcessLockOptions {
  /** How often the holder refreshes the file's time (ms). */
  heartbeatMs?: number;
  /** A holder on another host whose file is older than this is gone (ms). */
  staleMs?: number;
  now?: () => number;
}

/** Lock files this process holds: a second gateway in the same process is refused too. */
const held = new Set<string>();

/** Takes `<database>.lock`, or throws DatabaseInUseError naming the process that holds it. */
export function lockDatabase(database: string, options: ProcessLockOptions = {}): ProcessLock {
  const file = `${database}.lock`;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const staleMs = options.staleMs ?? 30_000;
  const now = options.now ?? Date.now;
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date(now()).toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder && alive(file, holder, staleMs, now)) throw new DatabaseInUseError(file, holder);
    // The holder is gone. Renaming is atomic: of two processes taking over at once, one moves the
    // stale file away and the other finds none, tries again and meets the winner's lock.
    if (attempt > 2) throw new Error(`could not take ${file}: it keeps changing`);
    try {
      fs.renameSync(file, `${file}.stale-${process.pid}`);
      fs.rmSync(`${file}.stale-${process.pid}`, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  held.add(file);
  const heartbeat = setInterval(() => {
    try {
      const at = new Date(now());
      fs.utimesSync(file, at, at);
    } catch {
      // Gone or unreadable: the next start judges by pid and host.
    }
  }, heartbeatMs);
  heartbeat.unref();
  let released = false;
  // A process that ends without closing the gateway (SIGTERM through Nest's shutdown hooks) lets go too.
  const onExit = () => lock.release();
  process.once('exit', onExit);
  const lock: ProcessLock = {
    file,
    release() {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      clearInterval(heartbeat);
      held.delete(file);
      // Only our own lock: never remove one another process took over.
      const holder = readHolder(file);
      if (holder?.pid === me.pid && holder.host === me.host) fs.rmSync(file, { force: true });
    },
  };
  return lock;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? 'an unknown time') };
  } catch {
    // Half-written or removed: no holder to respect.
    return undefined;
  }
}

function alive(file: string, holder: LockHolder, staleMs: number, now: () => number): boolean {
  if (holder.host !== os.hostname()) {
    try {
      return now() - fs.statSync(file).mtimeMs < staleMs;
    } catch {
      return false;
    }
  }
  if (holder.pid === process.pid) return held.has(file);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
