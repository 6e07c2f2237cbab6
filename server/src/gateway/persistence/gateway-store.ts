import type { AuditRecord, CommandState } from '@loopgate/contracts';
import { In, type DataSource, type QueryRunner } from 'typeorm';
import type { AuditEntry, RowChange, RowValues } from '../../common/audit.port';
import type { Command } from '../domain/command';
import type { KeyWriteState } from '../domain/override-detection';
import { judgeAdmission, type Admission, type AdmissionState } from '../domain/guardrails';
import { sealRecord } from '../domain/audit-chain';
import type { BusCommand } from '../bus/command-bus';
import {
  CommandConflictError,
  type CommitResult,
  type GatewayStore,
  type KeyClaim,
  type OutboxRow,
  type RelayStep,
  type StoreChange,
} from '../engine/ports';
import { CommandEntity, KeyStateEntity, OutboxEntity } from './entities';
import { betterSqliteConnection, HotReads } from './hot-reads';
import { OUTBOX_RELAY_LOCK, PostgresKeyClaims, type PgSession } from './key-claims';
import {
  AUDIT_COLUMNS,
  auditToRow,
  COMMAND_COLUMNS,
  commandToRow,
  keyStateToRow,
  normalizeAudit,
  rowToCommand,
  rowToKeyState,
} from './row-mappers';
import { deleteStatements, insertStatements, placeholders, type Dialect } from './sql';

interface PendingCommit {
  changes: StoreChange[];
  resolve: (result: CommitResult) => void;
  reject: (error: unknown) => void;
}

const ACTIVE_STATES = ['pending-approval', 'queued', 'dispatching', 'reconciling', 'quarantined'];
const QUEUED_STATES = ['queued', 'dispatching', 'reconciling', 'quarantined'];
const ACCEPTED_STATES = ['queued', 'dispatching', 'reconciling', 'applied', 'reverted', 'shadow', 'failed'];
const KEY_STATE_COLUMNS = [
  'ordering_key',
  'value_json',
  'command_id',
  'written_at',
  'overridden_with_json',
  'hold_until',
];

/** Thrown by a store that was fenced off (a simulated crash in tests): nothing more is written. */
export class StoreFencedError extends Error {
  constructor() {
    super('gateway store is fenced');
    this.name = 'StoreFencedError';
  }
}

/**
 * The gateway's state in SQLite or PostgreSQL. Writes are group-committed: every `commit` made
 * while a transaction runs (or in the same tick) joins the next one, and each kind of change
 * becomes one multi-row statement, so throughput does not hinge on one fsync per command.
 * Audit appends lock the chain head row in the same transaction, so the chain never forks.
 */
export class TypeOrmGatewayStore implements GatewayStore {
  private pending: PendingCommit[] = [];
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private fenced = false;
  private statements?: ReturnType<typeof prepareStatements>;
  private readonly hot: HotReads;
  private readonly claims?: PostgresKeyClaims;
  private relaying = false;
  readonly dialect: Dialect;

  constructor(
    private readonly dataSource: DataSource,
    private readonly now: () => number = Date.now,
    /** `false` uses the multi-row TypeORM path on SQLite too (as on PostgreSQL); for tests. */
    private readonly allowNative = true,
  ) {
    this.dialect = dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
    this.hot = new HotReads(dataSource, allowNative);
    if (this.dialect === 'postgres') this.claims = new PostgresKeyClaims(() => this.openSession());
  }

  commit(changes: StoreChange[]): Promise<CommitResult> {
    if (this.fenced) return Promise.reject(new StoreFencedError());
    return new Promise((resolve, reject) => {
      this.pending.push({ changes, resolve, reject });
      this.schedule();
    });
  }

  /** Refuses every later commit and waits for the one running; used to simulate a crash. */
  async fence(): Promise<void> {
    this.fenced = true;
    for (const item of this.pending.splice(0)) item.reject(new StoreFencedError());
    await this.flushing;
  }

  /** Waits until everything committed so far is written. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.flushing || this.scheduled) {
      await (this.flushing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  /** Ends the key-claim session if one is out of the pool (claims still held); after `drain`. */
  async close(): Promise<void> {
    await this.claims?.close();
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.pending.length > 0 && !this.fenced) this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    let results: CommitResult[];
    try {
      results = await this.write(batch);
    } catch (error) {
      if (batch.length === 1 || this.fenced) {
        for (const item of batch) item.reject(error);
        return;
      }
      // The batch rolled back; one bad change must not fail its neighbours: each commit on its own.
      for (const item of batch) {
        let single: CommitResult[];
        try {
          single = await this.write([item]);
        } catch (failure) {
          item.reject(failure);
          continue;
        }
        this.committed([item], single);
      }
      return;
    }
    this.committed(batch, results);
  }

  /** After the transaction: outbox callbacks in commit order, then the callers. Never throws. */
  private committed(batch: PendingCommit[], results: CommitResult[]): void {
    for (const item of batch) {
      for (const change of item.changes) {
        if (change.kind !== 'outbox-add') continue;
        try {
          change.onCommitted?.(0);
        } catch (error) {
          item.reject(error);
        }
      }
    }
    batch.forEach((item, i) => item.resolve(results[i]));
  }

  /** One transaction for the whole batch. */
  private async write(batch: PendingCommit[]): Promise<CommitResult[]> {
    if (this.fenced) throw new StoreFencedError();
    const changes = collect(batch);
    const native = this.nativeSqlite();
    return native ? this.writeNative(native, changes, batch.length) : this.writeGeneric(changes, batch.length);
  }

  /** better-sqlite3's own connection, when TypeORM runs on it: one synchronous transaction, prepared statements. */
  private nativeSqlite(): NativeDatabase | undefined {
    return this.allowNative ? betterSqliteConnection<NativeDatabase>(this.dataSource) : undefined;
  }

  private writeNative(db: NativeDatabase, changes: CollectedChanges, owners: number): CommitResult[] {
    if (!this.statements) {
      // A larger page cache keeps the indexes' hot pages in memory between batches.
      (db as NativeDatabase & { pragma?: (sql: string) => unknown }).pragma?.('cache_size = -32768');
      this.statements = prepareStatements(db);
    }
    const statements = this.statements;
    const results: CommitResult[] = Array.from({ length: owners }, () => ({ audit: [] }));
    const at = new Date(this.now()).toISOString();
    // Synchronous: nothing else runs on the connection while the batch is written. IMMEDIATE takes
    // the write lock at BEGIN, where busy_timeout waits for it: a deferred transaction reads first
    // and is then refused SQLITE_BUSY at once if another connection (the WAL checkpointer's
    // truncate, another process) wrote or holds the lock in between.
    db.transaction(() => {
      for (const [id, expected] of changes.guards) {
        const found = (statements.commandState.get(id) as { state: CommandState } | undefined)?.state;
        if (found !== expected) throw new CommandConflictError(id, expected, found);
      }
      if (changes.admissions.length > 0) {
        const stored = (key: string): AdmissionState => ({
          ...parseAdmission(statements.admissionGet.get(key) as AdmissionRow | undefined),
          ...holdOf((statements.holdGet.get(key) as { hold_until: string | null } | undefined)?.hold_until),
        });
        for (const row of judgeAdmissions(changes.admissions, stored)) statements.admissionPut.run(row);
      }
      for (const change of changes.rows) {
        for (const [sql, params] of rowChangeStatements('sqlite', change)) {
          const { changes: affected } = db.prepare(sql).run(...params) as { changes: number };
          if (sql.startsWith('UPDATE') && affected !== 1) throw change.conflict();
        }
      }
      for (const command of changes.commands.values()) statements.command.run(commandToRow(command));
      for (const command of changes.outboxAdds) {
        statements.outboxAdd.run({
          command_id: command.commandId,
          ordering_key: command.orderingKey,
          target_instance: command.targetInstance,
        });
      }
      for (const commandId of changes.outboxRemoves) statements.outboxRemove.run(commandId);
      for (const state of changes.keyStates.values()) statements.keyState.run(keyStateToRow(state));
      for (const [key, { value, actor }] of changes.controls) {
        statements.control.run({ key, value_json: JSON.stringify(value), updated_by: actor, updated_at: at });
      }
      if (changes.audits.length > 0) {
        const head = statements.head.get() as { sequence: number; hash: string };
        const sealed = this.seal(changes.audits, head, at, results);
        for (const record of sealed.records) statements.audit.run(auditToRow(record));
        statements.moveHead.run(sealed.sequence, sealed.hash);
      }
      if (this.fenced) throw new StoreFencedError();
    }).immediate();
    return results;
  }

  /** Any TypeORM driver: one multi-row statement per kind of change; PostgreSQL locks the chain head row. */
  private async writeGeneric(changes: CollectedChanges, owners: number): Promise<CommitResult[]> {
    const runner = this.dataSource.createQueryRunner();
    const results: CommitResult[] = Array.from({ length: owners }, () => ({ audit: [] }));
    try {
      await runner.startTransaction();
      const at = new Date(this.now()).toISOString();
      let head: { sequence: number; hash: string } | undefined;
      if (this.dialect === 'postgres' && (changes.audits.length > 0 || changes.outboxAdds.length > 0)) {
        // Locked first: outbox rows take their sequence numbers in commit order across gateway
        // processes, so the relay never reads a row while an earlier one is still uncommitted.
        head = await this.readHead(runner, true);
      }
      if (changes.guards.size > 0) await this.checkGuards(runner, changes.guards);
      if (changes.admissions.length > 0) await this.admitGeneric(runner, changes.admissions);
      for (const change of changes.rows) {
        for (const [sql, params] of rowChangeStatements(this.dialect, change)) {
          const result = (await runner.query(sql, params, true)) as { affected?: number };
          if (sql.startsWith('UPDATE') && result.affected !== 1) throw change.conflict();
        }
      }
      if (changes.commands.size > 0) {
        const columns = [...COMMAND_COLUMNS];
        await this.run(
          runner,
          insertStatements(
            this.dialect,
            'writeback_commands',
            columns,
            [...changes.commands.values()].map(commandToRow),
            {
              keys: ['id'],
              update: COMMAND_MUTABLE_COLUMNS,
            },
          ),
        );
      }
      if (changes.outboxAdds.length > 0) {
        const rows = changes.outboxAdds.map((command) => ({
          command_id: command.commandId,
          ordering_key: command.orderingKey,
          target_instance: command.targetInstance,
        }));
        await this.run(runner, insertStatements(this.dialect, 'writeback_outbox', OUTBOX_COLUMNS, rows));
      }
      if (changes.outboxRemoves.length > 0) {
        await this.run(runner, deleteStatements(this.dialect, 'writeback_outbox', 'command_id', changes.outboxRemoves));
      }
      if (changes.keyStates.size > 0) {
        await this.run(
          runner,
          insertStatements(
            this.dialect,
            'writeback_key_states',
            KEY_STATE_COLUMNS,
            [...changes.keyStates.values()].map(keyStateToRow),
            {
              keys: ['ordering_key'],
              update: KEY_STATE_COLUMNS.filter((c) => c !== 'ordering_key'),
            },
          ),
        );
      }
      if (changes.controls.size > 0) {
        const rows = [...changes.controls].map(([key, { value, actor }]) => ({
          key,
          value_json: JSON.stringify(value),
          updated_by: actor,
          updated_at: at,
        }));
        await this.run(
          runner,
          insertStatements(this.dialect, 'gateway_control', CONTROL_COLUMNS, rows, {
            keys: ['key'],
            update: ['value_json', 'updated_by', 'updated_at'],
          }),
        );
      }
      if (changes.audits.length > 0) {
        head ??= await this.readHead(runner, this.dialect === 'postgres');
        const sealed = this.seal(changes.audits, head, at, results);
        await this.run(
          runner,
          insertStatements(this.dialect, 'audit_records', [...AUDIT_COLUMNS], sealed.records.map(auditToRow)),
        );
        await runner.query(
          placeholders(this.dialect, 'UPDATE "audit_chain_head" SET "sequence" = ?, "hash" = ? WHERE "id" = 1'),
          [sealed.sequence, sealed.hash],
        );
      }
      if (this.fenced) throw new StoreFencedError();
      await runner.commitTransaction();
      return results;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * Admissions on any TypeORM driver: the keys' rows are read under lock (PostgreSQL: FOR UPDATE,
   * after the chain head lock that already orders every accepting transaction across processes),
   * judged, and written back in this transaction.
   */
  private async admitGeneric(runner: QueryRunner, admissions: Admission[]): Promise<void> {
    const keys = [...new Set(admissions.map((a) => a.key))];
    const marks = keys.map((_k, i) => (this.dialect === 'postgres' ? `$${i + 1}` : '?')).join(',');
    const lock = this.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = (await runner.query(
      `SELECT "ordering_key", "times_json", "baseline_json" FROM "writeback_key_admissions" WHERE "ordering_key" IN (${marks})${lock}`,
      keys,
    )) as (AdmissionRow & { ordering_key: string })[];
    const found = new Map(rows.map((r) => [r.ordering_key, parseAdmission(r)]));
    // Override holds of the keys with AI writes, as stored by whichever process saw the override.
    const held = [...new Set(admissions.filter((a) => a.heldByOverride).map((a) => a.key))];
    const holds = new Map<string, number>();
    if (held.length > 0) {
      const holdMarks = held.map((_k, i) => (this.dialect === 'postgres' ? `$${i + 1}` : '?')).join(',');
      const holdRows = (await runner.query(
        `SELECT "ordering_key", "hold_until" FROM "writeback_key_states" WHERE "ordering_key" IN (${holdMarks})`,
        held,
      )) as { ordering_key: string; hold_until: string | null }[];
      for (const row of holdRows) {
        const until = holdOf(row.hold_until).holdUntil;
        if (until !== undefined) holds.set(row.ordering_key, until);
      }
    }
    const judged = judgeAdmissions(admissions, (key) => {
      const state = found.get(key) ?? { times: [] };
      const holdUntil = holds.get(key);
      return holdUntil !== undefined ? { ...state, holdUntil } : state;
    });
    if (judged.length === 0) return;
    await this.run(
      runner,
      insertStatements(this.dialect, 'writeback_key_admissions', ADMISSION_COLUMNS, judged, {
        keys: ['ordering_key'],
        update: ['times_json', 'baseline_json', 'expires_at'],
      }),
    );
  }

  async admissionState(orderingKey: string): Promise<AdmissionState> {
    const [row] = (await this.dataSource.query(
      placeholders(
        this.dialect,
        'SELECT "times_json", "baseline_json" FROM "writeback_key_admissions" WHERE "ordering_key" = ?',
      ),
      [orderingKey],
    )) as AdmissionRow[];
    return parseAdmission(row);
  }

  async pruneAdmissions(now: number): Promise<number> {
    const before = new Date(now).toISOString();
    const [{ count }] = (await this.dataSource.query(
      placeholders(this.dialect, 'SELECT COUNT(*) AS "count" FROM "writeback_key_admissions" WHERE "expires_at" <= ?'),
      [before],
    )) as { count: number | string }[];
    if (Number(count) === 0) return 0;
    await this.dataSource.query(
      placeholders(this.dialect, 'DELETE FROM "writeback_key_admissions" WHERE "expires_at" <= ?'),
      [before],
    );
    return Number(count);
  }

  /** The audit chain head; `forUpdate` serialises appends across gateway processes sharing one PostgreSQL database. */
  private async readHead(runner: QueryRunner, forUpdate: boolean): Promise<{ sequence: number; hash: string }> {
    const [head] = (await runner.query(
      `SELECT "sequence", "hash" FROM "audit_chain_head" WHERE "id" = 1${forUpdate ? ' FOR UPDATE' : ''}`,
    )) as { sequence: number; hash: string }[];
    return head;
  }

  /** Guarded command changes: the stored state must still be the expected one (rows locked until commit). */
  private async checkGuards(runner: QueryRunner, guards: Map<string, CommandState>): Promise<void> {
    const ids = [...guards.keys()];
    const marks = ids.map((_id, i) => (this.dialect === 'postgres' ? `$${i + 1}` : '?')).join(',');
    const lock = this.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = (await runner.query(
      `SELECT "id", "state" FROM "writeback_commands" WHERE "id" IN (${marks})${lock}`,
      ids,
    )) as { id: string; state: CommandState }[];
    const found = new Map(rows.map((row) => [row.id, row.state]));
    for (const [id, expected] of guards) {
      if (found.get(id) !== expected) throw new CommandConflictError(id, expected, found.get(id));
    }
  }

  /** Links the batch's audit entries onto the chain head, in order. */
  private seal(
    audits: CollectedChanges['audits'],
    head: { sequence: number; hash: string },
    at: string,
    results: CommitResult[],
  ): { records: AuditRecord[]; sequence: number; hash: string } {
    let sequence = Number(head.sequence);
    let previousHash = head.hash;
    const records: AuditRecord[] = [];
    for (const { entry, owner } of audits) {
      sequence += 1;
      const record = sealRecord(
        normalizeAudit({
          ...entry,
          lineage: entry.lineage ?? {},
          sequence,
          time: entry.time ?? at,
          previousHash,
          hash: '',
        }),
      );
      previousHash = record.hash;
      records.push(record);
      results[owner].audit.push(record);
    }
    return { records, sequence, hash: previousHash };
  }

  private async run(runner: QueryRunner, statements: [string, unknown[]][]): Promise<void> {
    for (const [sql, params] of statements) await runner.query(sql, params);
  }

  // ------------------------------------------------------------------------------------------
  // Reads the engine needs

  async findCommand(id: string): Promise<Command | undefined> {
    return this.findOneCommand('id', id);
  }

  async findCommandByRequestId(requestId: string): Promise<Command | undefined> {
    return this.findOneCommand('request_id', requestId);
  }

  /** A hot path (every request checks its requestId). */
  private async findOneCommand(column: 'id' | 'request_id', value: string): Promise<Command | undefined> {
    const [row] = await this.hot.rows(`SELECT * FROM "writeback_commands" WHERE "${column}" = ?`, [value]);
    return row ? rowToCommand(row) : undefined;
  }

  async loadActiveCommands(): Promise<Command[]> {
    const rows = await this.dataSource
      .getRepository(CommandEntity)
      .find({ where: { state: In(ACTIVE_STATES) }, order: { receivedAt: 'ASC' } });
    return rows.map((row) => rowToCommand(row as unknown as Record<string, unknown>));
  }

  async loadKeyStates(): Promise<KeyWriteState[]> {
    const rows = await this.dataSource.getRepository(KeyStateEntity).find();
    return rows.map((row) => rowToKeyState(row as unknown as Record<string, unknown>));
  }

  /** Read before every write attempt (the kill switch and pauses of any process hold at once). */
  async loadControl(): Promise<Map<string, unknown>> {
    const rows = await this.hot.rows('SELECT "key", "value_json" FROM "gateway_control"', []);
    return new Map(rows.map((row) => [String(row.key), JSON.parse(String(row.value_json)) as unknown]));
  }

  async loadAcceptedSince(since: string): Promise<{ orderingKey: string; decidedAt: string }[]> {
    const rows = await this.dataSource
      .getRepository(CommandEntity)
      .createQueryBuilder('c')
      .select(['c.orderingKey', 'c.decidedAt'])
      .where('c.decidedAt >= :since', { since })
      .andWhere('c.state IN (:...states)', { states: ACCEPTED_STATES })
      .orderBy('c.decidedAt', 'ASC')
      .getMany();
    return rows.map((row) => ({ orderingKey: row.orderingKey, decidedAt: row.decidedAt ?? since }));
  }

  async loadOutbox(): Promise<OutboxRow[]> {
    const rows = await this.dataSource.getRepository(OutboxEntity).find({ order: { seq: 'ASC' } });
    return rows.map((row) => ({
      seq: row.seq,
      commandId: row.commandId,
      orderingKey: row.orderingKey,
      targetInstance: row.targetInstance,
    }));
  }

  async relayOutbox(limit: number, relay: (rows: OutboxRow[]) => Promise<void>): Promise<RelayStep | undefined> {
    return this.dialect === 'postgres' ? this.relayPostgres(limit, relay) : this.relaySqlite(limit, relay);
  }

  /**
   * One transaction holds the relay lock (PostgreSQL releases it at commit, or when a crashed
   * process's session ends) and takes the rows out; a failed publish rolls them back in. Its commit
   * does not wait for the disk: a removal lost in a crash only means the rows are published again.
   */
  private async relayPostgres(
    limit: number,
    relay: (rows: OutboxRow[]) => Promise<void>,
  ): Promise<RelayStep | undefined> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const [{ locked }] = (await runner.query(
        `SELECT pg_try_advisory_xact_lock($1, $2) AS "locked", set_config('synchronous_commit', 'off', true)`,
        [...OUTBOX_RELAY_LOCK],
      )) as { locked: boolean }[];
      if (!locked) {
        await runner.rollbackTransaction();
        return undefined;
      }
      const [taken] = (await runner.query(
        `DELETE FROM "writeback_outbox" WHERE "seq" IN (SELECT "seq" FROM "writeback_outbox" ORDER BY "seq" LIMIT $1)
         RETURNING "seq", "command_id", "ordering_key", "target_instance"`,
        [limit],
      )) as [Record<string, unknown>[], number];
      const rows = taken.map(rowToOutbox).sort((a, b) => a.seq - b.seq);
      if (rows.length > 0) await relay(rows);
      await runner.commitTransaction();
      return { relayed: rows.length, more: rows.length === limit };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** SQLite has one gateway process: steps only need to take turns inside it. */
  private async relaySqlite(
    limit: number,
    relay: (rows: OutboxRow[]) => Promise<void>,
  ): Promise<RelayStep | undefined> {
    if (this.relaying) return undefined;
    this.relaying = true;
    try {
      const rows = (
        (await this.dataSource.query(
          'SELECT "seq", "command_id", "ordering_key", "target_instance" FROM "writeback_outbox" ORDER BY "seq" LIMIT ?',
          [limit],
        )) as Record<string, unknown>[]
      ).map(rowToOutbox);
      if (rows.length > 0) {
        await relay(rows);
        await this.commit(rows.map((row) => ({ kind: 'outbox-remove', commandId: row.commandId })));
      }
      return { relayed: rows.length, more: rows.length === limit };
    } finally {
      this.relaying = false;
    }
  }

  async findCommandsInState(state: CommandState, limit = 1000): Promise<Command[]> {
    const rows = await this.dataSource
      .getRepository(CommandEntity)
      .find({ where: { state }, order: { receivedAt: 'ASC', id: 'ASC' }, take: limit });
    return rows.map((row) => rowToCommand(row as unknown as Record<string, unknown>));
  }

  async findPendingOnKey(orderingKey: string): Promise<Command[]> {
    const rows = await this.dataSource.getRepository(CommandEntity).find({
      where: { state: 'pending-approval', orderingKey },
      order: { receivedAt: 'ASC', id: 'ASC' },
    });
    return rows.map((row) => rowToCommand(row as unknown as Record<string, unknown>));
  }

  async findLandedOnKey(orderingKey: string, limit: number): Promise<Command[]> {
    const rows = await this.dataSource.getRepository(CommandEntity).find({
      where: { orderingKey, state: In(['applied', 'reverted']) },
      order: { decidedAt: 'DESC', id: 'DESC' },
      take: limit,
    });
    return rows.map((row) => rowToCommand(row as unknown as Record<string, unknown>));
  }

  async countQueuedByTarget(): Promise<Map<string, number>> {
    const rows = await this.dataSource
      .getRepository(CommandEntity)
      .createQueryBuilder('c')
      .select('c.targetInstance', 'target')
      .addSelect('COUNT(*)', 'n')
      .where('c.state IN (:...states)', { states: QUEUED_STATES })
      .groupBy('c.targetInstance')
      .getRawMany<{ target: string; n: string | number }>();
    return new Map(rows.map((row) => [row.target, Number(row.n)]));
  }

  async hasQueuedOnKey(orderingKey: string): Promise<boolean> {
    const found = await this.dataSource
      .getRepository(CommandEntity)
      .findOne({ where: { state: In(QUEUED_STATES), orderingKey }, select: { id: true } });
    return found !== null;
  }

  /** Read before every dispatch. */
  async loadKeyState(orderingKey: string): Promise<KeyWriteState | undefined> {
    const [row] = await this.hot.rows('SELECT * FROM "writeback_key_states" WHERE "ordering_key" = ?', [orderingKey]);
    return row ? rowToKeyState(row) : undefined;
  }

  /** PostgreSQL: an advisory lock across gateway processes. SQLite has one process, whose engine orders its own keys. */
  async claimKey(orderingKey: string, signal: AbortSignal): Promise<KeyClaim> {
    if (this.claims) return this.claims.claim(orderingKey, signal);
    signal.throwIfAborted();
    return { release: async () => undefined };
  }

  /** A pooled connection for the key claims: released with an error, it ends instead of going back to the pool. */
  private async openSession(): Promise<{ session: PgSession; release: (error?: Error) => void }> {
    const driver = this.dataSource.driver as unknown as {
      obtainMasterConnection(): Promise<[PgSession, (error?: Error) => void]>;
    };
    const [session, release] = await driver.obtainMasterConnection();
    return { session, release };
  }
}

function rowToOutbox(row: Record<string, unknown>): OutboxRow {
  return {
    seq: Number(row.seq),
    commandId: String(row.command_id),
    orderingKey: String(row.ordering_key),
    targetInstance: String(row.target_instance),
  };
}

interface CollectedChanges {
  commands: Map<string, Command>;
  /** Expected stored states of guarded commands not written earlier in the same batch. */
  guards: Map<string, CommandState>;
  outboxAdds: BusCommand[];
  outboxRemoves: string[];
  keyStates: Map<string, KeyWriteState>;
  controls: Map<string, { value: unknown; actor: string }>;
  audits: { entry: AuditEntry; owner: number }[];
  /** Writes to admit against their keys' stored times, in commit order. */
  admissions: Admission[];
  /** Other modules' rows stored with their audit records, in commit order. */
  rows: RowChange[];
}

/**
 * Folds a batch into one set of changes: the last version of each row wins, audits keep their
 * order. A guarded command written earlier in the batch is checked against that version here.
 */
function collect(batch: PendingCommit[]): CollectedChanges {
  const changes: CollectedChanges = {
    commands: new Map(),
    guards: new Map(),
    outboxAdds: [],
    outboxRemoves: [],
    keyStates: new Map(),
    controls: new Map(),
    audits: [],
    admissions: [],
    rows: [],
  };
  batch.forEach((item, owner) => {
    for (const change of item.changes) {
      switch (change.kind) {
        case 'command': {
          const { command, expectState } = change;
          if (expectState !== undefined) {
            const earlier = changes.commands.get(command.id);
            if (earlier && earlier.state !== expectState)
              throw new CommandConflictError(command.id, expectState, earlier.state);
            if (!earlier && !changes.guards.has(command.id)) changes.guards.set(command.id, expectState);
          }
          changes.commands.set(command.id, command);
          break;
        }
        case 'outbox-add':
          changes.outboxAdds.push(change.command);
          break;
        case 'outbox-remove':
          changes.outboxRemoves.push(change.commandId);
          break;
        case 'key-state':
          changes.keyStates.set(change.state.key, change.state);
          break;
        case 'control':
          changes.controls.set(change.key, { value: change.value, actor: change.actor });
          break;
        case 'audit':
          changes.audits.push({ entry: change.entry, owner });
          break;
        case 'admit':
          changes.admissions.push(change.admission);
          break;
        case 'rows':
          changes.rows.push(change.change);
          break;
      }
    }
  });
  return changes;
}

/** A row change as statements: the guarded UPDATE first (it must touch one row), then the INSERTs. */
function rowChangeStatements(dialect: Dialect, change: RowChange): [string, unknown[]][] {
  const quote = (name: string) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a table or column name: ${name}`);
    return `"${name}"`;
  };
  const statements: [string, unknown[]][] = [];
  if (change.update) {
    const { table, set, where } = change.update;
    const params: unknown[] = [];
    const assign = (values: RowValues, joiner: string) =>
      Object.entries(values)
        .map(([column, value]) => {
          params.push(value);
          return `${quote(column)} = ?`;
        })
        .join(joiner);
    const sets = assign(set, ', ');
    const conditions = assign(where, ' AND ');
    statements.push([placeholders(dialect, `UPDATE ${quote(table)} SET ${sets} WHERE ${conditions}`), params]);
  }
  for (const { table, row } of change.insert ?? []) {
    const columns = Object.keys(row);
    const sql = `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
    statements.push([placeholders(dialect, sql), Object.values(row)]);
  }
  return statements;
}

/** The part of better-sqlite3's API the native path uses. */
interface NativeStatement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface NativeDatabase {
  prepare(sql: string): NativeStatement;
  transaction(fn: () => void): { (): void; immediate(): void };
}

const OUTBOX_COLUMNS = ['command_id', 'ordering_key', 'target_instance'];
/** What changes in a command's life; the rest (and most indexed columns) is written once. */
const COMMAND_MUTABLE_COLUMNS = [
  'state',
  'reason_code',
  'message',
  'prior_value_json',
  'new_value_json',
  'reverted_by',
  'approval_json',
  'mes_transaction_id',
  'attempts',
  'not_after',
  'decided_at',
  'applied_at',
  'updated_at',
];
const CONTROL_COLUMNS = ['key', 'value_json', 'updated_by', 'updated_at'];
const ADMISSION_COLUMNS = ['ordering_key', 'times_json', 'baseline_json', 'expires_at'];

interface AdmissionRow {
  times_json: string;
  baseline_json: string | null;
}

function parseAdmission(row: AdmissionRow | undefined): AdmissionState {
  if (!row) return { times: [] };
  const times = JSON.parse(row.times_json) as unknown;
  return {
    times: Array.isArray(times) ? times.filter((t): t is number => typeof t === 'number') : [],
    ...(row.baseline_json ? { baseline: JSON.parse(row.baseline_json) as AdmissionState['baseline'] } : {}),
  };
}

/**
 * Judges admissions in commit order against the stored state (and the earlier admissions of the
 * same batch); the first refused one throws AdmissionRefusedError, which rolls the batch back and
 * commits its neighbours on their own. Returns the rows to write.
 */
/** A stored `hold_until` as the admission judges it. */
function holdOf(holdUntil: string | null | undefined): { holdUntil?: number } {
  const until = holdUntil ? Date.parse(holdUntil) : NaN;
  return Number.isFinite(until) ? { holdUntil: until } : {};
}

function judgeAdmissions(
  admissions: readonly Admission[],
  stored: (key: string) => AdmissionState,
): { ordering_key: string; times_json: string; baseline_json: string | null; expires_at: string }[] {
  const states = new Map<string, AdmissionState & { expiresAt: number }>();
  // Keys whose admissions only checked the override hold: nothing of theirs changes, nothing is written.
  const changed = new Set<string>();
  for (const admission of admissions) {
    const current = states.get(admission.key) ?? stored(admission.key);
    const next = judgeAdmission(current, admission);
    const before = states.get(admission.key)?.expiresAt ?? 0;
    states.set(admission.key, { ...next, expiresAt: Math.max(before, next.expiresAt) });
    if (admission.limits.length > 0 || admission.drift || admission.endEpisode) changed.add(admission.key);
  }
  return [...states]
    .filter(([key]) => changed.has(key))
    .map(([key, state]) => ({
      ordering_key: key,
      times_json: JSON.stringify(state.times),
      baseline_json: state.baseline ? JSON.stringify(state.baseline) : null,
      expires_at: new Date(state.expiresAt).toISOString(),
    }));
}

function upsertSql(
  table: string,
  columns: readonly string[],
  key: string,
  mutable: readonly string[] = columns,
): string {
  const names = columns.map((c) => `"${c}"`).join(',');
  const values = columns.map((c) => `@${c}`).join(',');
  const updates = mutable
    .filter((c) => c !== key)
    .map((c) => `"${c}" = excluded."${c}"`)
    .join(', ');
  return `INSERT INTO "${table}" (${names}) VALUES (${values}) ON CONFLICT ("${key}") DO UPDATE SET ${updates}`;
}

function prepareStatements(db: NativeDatabase) {
  const names = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(',');
  const values = (columns: readonly string[]) => columns.map((c) => `@${c}`).join(',');
  return {
    command: db.prepare(upsertSql('writeback_commands', COMMAND_COLUMNS, 'id', COMMAND_MUTABLE_COLUMNS)),
    commandState: db.prepare('SELECT "state" FROM "writeback_commands" WHERE "id" = ?'),
    outboxAdd: db.prepare(
      `INSERT INTO "writeback_outbox" (${names(OUTBOX_COLUMNS)}) VALUES (${values(OUTBOX_COLUMNS)})`,
    ),
    outboxRemove: db.prepare('DELETE FROM "writeback_outbox" WHERE "command_id" = ?'),
    keyState: db.prepare(upsertSql('writeback_key_states', KEY_STATE_COLUMNS, 'ordering_key')),
    control: db.prepare(upsertSql('gateway_control', CONTROL_COLUMNS, 'key')),
    admissionGet: db.prepare(
      'SELECT "times_json", "baseline_json" FROM "writeback_key_admissions" WHERE "ordering_key" = ?',
    ),
    admissionPut: db.prepare(upsertSql('writeback_key_admissions', ADMISSION_COLUMNS, 'ordering_key')),
    holdGet: db.prepare('SELECT "hold_until" FROM "writeback_key_states" WHERE "ordering_key" = ?'),
    head: db.prepare('SELECT "sequence", "hash" FROM "audit_chain_head" WHERE "id" = 1'),
    audit: db.prepare(`INSERT INTO "audit_records" (${names(AUDIT_COLUMNS)}) VALUES (${values(AUDIT_COLUMNS)})`),
    moveHead: db.prepare('UPDATE "audit_chain_head" SET "sequence" = ?, "hash" = ? WHERE "id" = 1'),
  };
}
