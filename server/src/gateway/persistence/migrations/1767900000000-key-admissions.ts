import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Commands whose acceptance counted toward their key's rate and cooldown limits. */
const ACCEPTED_STATES = ['queued', 'dispatching', 'reconciling', 'applied', 'reverted', 'shadow', 'failed'];
/** How far back the gateway used to look for a key's writes when it started (its in-memory history). */
const BACKFILL_MS = 24 * 3600_000;
/** The most times kept per key by the backfill; the first write after it trims to what the limits count. */
const BACKFILL_TIMES_PER_KEY = 1000;

/**
 * The rate and cooldown state of each key moves from each gateway process's memory into the store,
 * judged in the transaction that accepts a command: `writeback_key_admissions` holds the times the
 * key's limits still count and the baseline of its open AI episode (drift budgets). Filled from the commands accepted in the last 24 h, as a process used
 * to load them at start, so no limit opens up across the upgrade.
 */
export class KeyAdmissions1767900000000 implements MigrationInterface {
  name = 'KeyAdmissions1767900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'writeback_key_admissions',
        columns: [
          { name: 'ordering_key', type: 'varchar', length: '600', isNullable: false, isPrimary: true },
          { name: 'times_json', type: 'text', isNullable: false },
          { name: 'baseline_json', type: 'text', isNullable: true },
          { name: 'expires_at', type: 'varchar', length: '30', isNullable: false },
        ],
      }),
    );
    await queryRunner.createIndex(
      'writeback_key_admissions',
      new TableIndex({ name: 'idx_key_admissions_expires', columnNames: ['expires_at'] }),
    );
    const postgres = queryRunner.connection.options.type === 'postgres';
    const since = new Date(Date.now() - BACKFILL_MS).toISOString();
    const marks = ACCEPTED_STATES.map((_s, i) => (postgres ? `$${i + 2}` : '?')).join(',');
    const rows = (await queryRunner.query(
      `SELECT "ordering_key", "decided_at" FROM "writeback_commands"
        WHERE "decided_at" >= ${postgres ? '$1' : '?'} AND "state" IN (${marks}) ORDER BY "decided_at"`,
      [since, ...ACCEPTED_STATES],
    )) as { ordering_key: string; decided_at: string }[];
    const times = new Map<string, number[]>();
    for (const row of rows) {
      const list = times.get(row.ordering_key) ?? [];
      list.push(Date.parse(row.decided_at));
      times.set(row.ordering_key, list);
    }
    for (const [key, list] of times) {
      const kept = list.slice(-BACKFILL_TIMES_PER_KEY);
      await queryRunner.query(
        postgres
          ? 'INSERT INTO "writeback_key_admissions" ("ordering_key", "times_json", "expires_at") VALUES ($1, $2, $3)'
          : 'INSERT INTO "writeback_key_admissions" ("ordering_key", "times_json", "expires_at") VALUES (?, ?, ?)',
        [key, JSON.stringify(kept), new Date(kept[kept.length - 1] + BACKFILL_MS).toISOString()],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('writeback_key_admissions');
  }
}
