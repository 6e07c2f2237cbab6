import type { KeyClaim } from '../engine/ports';

/** The part of a `pg` client the claims use. */
export interface PgSession {
  query(sql: string, params: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** A pooled session taken out of the pool: `release()` gives it back, `release(error)` ends it (and every lock it holds). */
export type PgSessionFactory = () => Promise<{ session: PgSession; release: (error?: Error) => void }>;

/** Advisory-lock namespaces (the first key of PostgreSQL's two-key advisory locks). */
export const ORDERING_KEY_LOCKS = 0x4c47_0001;
export const OUTBOX_RELAY_LOCK: [number, number] = [0x4c47_0002, 1];

interface OpenSession {
  session: PgSession;
  release: (error?: Error) => void;
  onError: (error: Error) => void;
  /** Claims held or being tried on this session. */
  users: number;
  /** Given back to the pool or ended: no new claim uses it. */
  retired: boolean;
  /** Queries run one after another on the session. */
  tail: Promise<unknown>;
}

/**
 * Claims on ordering keys across gateway processes sharing one PostgreSQL database: a session-level
 * advisory lock per key (`hashtext` of the key; a collision only makes two keys wait for each other),
 * all taken on one session while any claim is held or tried; with none left, the session goes back
 * to the pool. A process that dies loses its session and so its claims, and the next owner of the
 * key goes on. A claim held elsewhere is tried again with backoff.
 *
 * @example
 * const claim = await claims.claim('opcenter-1|recipe-parameter|CNC-01/OP20|FeedRate', signal);
 * try { await dispatch(); } finally { await claim.release(); }
 */
export class PostgresKeyClaims {
  private opened?: OpenSession;
  private opening?: Promise<OpenSession>;
  private closed = false;

  constructor(private readonly open: PgSessionFactory) {}

  async claim(key: string, signal: AbortSignal): Promise<KeyClaim> {
    signal.throwIfAborted();
    const open = await this.use();
    let held = false;
    try {
      let delayMs = 10;
      for (;;) {
        const result = await this.query(open, 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS "locked"', [
          ORDERING_KEY_LOCKS,
          key,
        ]);
        if (result.rows[0]?.locked === true) break;
        signal.throwIfAborted();
        await sleep(delayMs, signal);
        delayMs = Math.min(500, delayMs * 2);
      }
      held = true;
    } finally {
      if (!held) this.done(open);
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        try {
          // A retired session with a claim on it ended (an error), and its locks with it.
          if (!open.retired)
            await this.query(open, 'SELECT pg_advisory_unlock($1, hashtext($2))', [ORDERING_KEY_LOCKS, key]);
        } finally {
          this.done(open);
        }
      },
    };
  }

  /** Ends the session in use, if any: every claim it holds is released. */
  async close(): Promise<void> {
    this.closed = true;
    await this.opening?.catch(() => undefined);
    if (this.opened) this.retire(this.opened, new Error('key claims closed'));
  }

  /** The session in use, or a new one from the pool; counts the caller as a user. */
  private async use(): Promise<OpenSession> {
    for (;;) {
      if (this.closed) throw new Error('key claims are closed');
      const opened = this.opened;
      if (opened && !opened.retired) {
        opened.users += 1;
        return opened;
      }
      this.opening ??= this.open().then(
        ({ session, release }) => {
          const open: OpenSession = {
            session,
            release,
            users: 0,
            retired: false,
            tail: Promise.resolve(),
            onError: (error) => this.retire(open, error),
          };
          // A dropped connection took its locks with it: the next claim takes a new session.
          session.on('error', open.onError);
          this.opened = open;
          this.opening = undefined;
          return open;
        },
        (error: unknown) => {
          this.opening = undefined;
          throw error;
        },
      );
      await this.opening;
    }
  }

  /** A claim ended (released, or never taken): with no claim left, the session goes back to the pool. */
  private done(open: OpenSession): void {
    open.users -= 1;
    if (open.users > 0 || open.retired) return;
    open.retired = true;
    if (this.opened === open) this.opened = undefined;
    open.session.off('error', open.onError);
    // Once its last query is through it holds no lock: a clean session for the pool.
    void open.tail.then(() => open.release());
  }

  private async query(open: OpenSession, sql: string, params: unknown[]) {
    const run = open.tail.then(() => open.session.query(sql, params));
    open.tail = run.catch(() => undefined);
    try {
      return await run;
    } catch (error) {
      this.retire(open, error as Error);
      throw error;
    }
  }

  /** Ends a session that failed (or on close): PostgreSQL drops every lock it held. */
  private retire(open: OpenSession, error: Error): void {
    if (open.retired) return;
    open.retired = true;
    if (this.opened === open) this.opened = undefined;
    open.session.off('error', open.onError);
    open.release(error);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
