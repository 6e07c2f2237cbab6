import { describe, expect, it } from 'vitest';
import { until } from '../testing/until';
import { PostgresKeyClaims, type PgSession } from './key-claims';

/** Advisory locks as PostgreSQL keeps them: per session, reentrant, gone when the session ends. */
class FakeDatabase {
  readonly holders = new Map<string, FakeSession>();
  readonly idle: FakeSession[] = [];
  checkouts = 0;
  /** Lock attempts that found the key held by another session. */
  refusals = 0;
  failNext = false;

  pool() {
    return async () => {
      this.checkouts += 1;
      const session = this.idle.pop() ?? new FakeSession(this);
      return {
        session,
        release: (error?: Error) => (error ? session.end() : this.idle.push(session)),
      };
    };
  }
}

class FakeSession implements PgSession {
  readonly held = new Map<string, number>();
  running = 0;
  mostAtOnce = 0;
  ended = false;

  constructor(private readonly db: FakeDatabase) {}

  async query(sql: string, params: unknown[]) {
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.running -= 1;
    if (this.db.failNext) {
      this.db.failNext = false;
      throw new Error('connection terminated');
    }
    const key = String(params[1]);
    if (sql.includes('pg_try_advisory_lock')) {
      const holder = this.db.holders.get(key);
      if (holder && holder !== this) {
        this.db.refusals += 1;
        return { rows: [{ locked: false }] };
      }
      this.db.holders.set(key, this);
      this.held.set(key, (this.held.get(key) ?? 0) + 1);
      return { rows: [{ locked: true }] };
    }
    const count = (this.held.get(key) ?? 0) - 1;
    if (count > 0) this.held.set(key, count);
    else {
      this.held.delete(key);
      this.db.holders.delete(key);
    }
    return { rows: [{ unlocked: true }] };
  }

  on(): this {
    return this;
  }

  off(): this {
    return this;
  }

  end(): void {
    this.ended = true;
    for (const key of this.held.keys()) this.db.holders.delete(key);
    this.held.clear();
  }
}

const never = () => new AbortController().signal;

describe('PostgresKeyClaims', () => {
  it('lets one process hold a key; another waits until it is released', async () => {
    const db = new FakeDatabase();
    const [here, there] = [new PostgresKeyClaims(db.pool()), new PostgresKeyClaims(db.pool())];
    const claim = await here.claim('k', never());
    let granted = false;
    const waiting = there.claim('k', never()).then((claim) => ((granted = true), claim));
    await until(() => db.refusals >= 2, 'the second claim to find the key held twice');
    expect(granted).toBe(false);
    await claim.release();
    await (await waiting).release();
    expect(db.holders.size).toBe(0);
  });

  it('runs one query at a time on its session, whatever the number of claims', async () => {
    const db = new FakeDatabase();
    const claims = new PostgresKeyClaims(db.pool());
    const held = await Promise.all(Array.from({ length: 20 }, (_, i) => claims.claim(`k${i}`, never())));
    await Promise.all(held.map((claim) => claim.release()));
    expect(db.checkouts).toBe(1);
    expect(db.idle[0].mostAtOnce).toBe(1);
  });

  it('gives the session back to the pool when no claim is left, holding no lock', async () => {
    const db = new FakeDatabase();
    const claims = new PostgresKeyClaims(db.pool());
    await (await claims.claim('a', never())).release();
    await until(() => db.idle.length === 1, 'the session back in the pool');
    expect(db.idle[0].held.size).toBe(0);
    await (await claims.claim('b', never())).release();
    expect(db.checkouts).toBe(2);
  });

  it('ends a session whose query failed: its keys are free for others, later claims take a new session', async () => {
    const db = new FakeDatabase();
    const [here, there] = [new PostgresKeyClaims(db.pool()), new PostgresKeyClaims(db.pool())];
    const held = await here.claim('a', never());
    db.failNext = true;
    await expect(here.claim('b', never())).rejects.toThrow('connection terminated');
    await (await there.claim('a', never())).release();
    await held.release();
    await (await here.claim('c', never())).release();
    expect(db.checkouts).toBe(3);
  });

  it('stops waiting when the signal aborts, with its reason', async () => {
    const db = new FakeDatabase();
    const [here, there] = [new PostgresKeyClaims(db.pool()), new PostgresKeyClaims(db.pool())];
    const held = await here.claim('k', never());
    const stop = new AbortController();
    const waiting = there.claim('k', stop.signal);
    await until(() => db.refusals > 0, 'the second claim to find the key held');
    stop.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await held.release();
  });

  it('ends the session on close, dropping the claims it holds', async () => {
    const db = new FakeDatabase();
    const claims = new PostgresKeyClaims(db.pool());
    await claims.claim('k', never());
    await claims.close();
    expect(db.holders.size).toBe(0);
    await expect(claims.claim('k', never())).rejects.toThrow(/closed/);
  });
});
