import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../server/src/database/migrations';
import { AuditTrailCheck, GENESIS_HASH, sealRecord } from '../../server/src/gateway/domain/audit-chain';
import { AuditReanchor1767700000000 } from '../../server/src/gateway/persistence/migrations/1767700000000-audit-reanchor';
import { auditToRow, rowToAudit } from '../../server/src/gateway/persistence/row-mappers';
import { insertStatements } from '../../server/src/gateway/persistence/sql';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';

describe.each(databaseKinds())('re-anchoring an existing audit chain on %s', (kind) => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(kind, { name: 'audit-reanchor' });
    const before = MIGRATIONS.slice(0, MIGRATIONS.indexOf(AuditReanchor1767700000000));
    source = await new DataSource({ ...db.options, migrations: before, migrationsRun: true }).initialize();
    // A chain written before the migration.
    let previousHash = GENESIS_HASH;
    const rows = [];
    for (let sequence = 1; sequence <= 5; sequence++) {
      const record = sealRecord({
        sequence,
        time: `2026-01-01T00:00:0${sequence}.000Z`,
        lineage: { inferenceId: `inf-${sequence}` },
        outcome: 'applied',
        actor: 'gateway',
        newValue: sequence * 1.5,
        previousHash,
      });
      previousHash = record.hash;
      // The columns of that time: those added later (the typed reason) did not exist yet.
      const { reason: _later, ...row } = auditToRow(record);
      rows.push(row);
    }
    const dialect = kind === 'postgres' ? 'postgres' : 'sqlite';
    const columns = Object.keys(rows[0]);
    for (const [sql, params] of insertStatements(dialect, 'audit_records', columns, rows))
      await source.query(sql, params);
    await source.query(
      dialect === 'postgres'
        ? 'UPDATE audit_chain_head SET sequence = 5, hash = $1 WHERE id = 1'
        : 'UPDATE audit_chain_head SET sequence = 5, hash = ? WHERE id = 1',
      [previousHash],
    );
    await source.destroy();
    source = await new DataSource({ ...db.options, migrations: MIGRATIONS, migrationsRun: true }).initialize();
  });

  afterAll(async () => {
    await source?.destroy();
    await db?.cleanup();
  });

  it('appends one re-anchoring record linked to the legacy head, and the whole chain verifies', async () => {
    const rows = (await source.query('SELECT * FROM audit_records ORDER BY sequence')) as Record<string, unknown>[];
    const records = rows.map(rowToAudit);
    expect(records).toHaveLength(6);
    expect(records[5]).toMatchObject({
      sequence: 6,
      outcome: 'security',
      action: 'audit-re-anchored',
      parameter: 'hash formula',
      newValue: 'sha256-rfc8785',
      reasonCode: 'AUDIT_REANCHORED',
      actor: 'system:migration',
      previousHash: records[4].hash,
    });
    expect(records[5].message).toContain('legacy records 1..5 verified (5)');
    const [head] = (await source.query('SELECT sequence, hash FROM audit_chain_head')) as {
      sequence: number;
      hash: string;
    }[];
    expect({ sequence: Number(head.sequence), hash: head.hash }).toEqual({ sequence: 6, hash: records[5].hash });
    const check = new AuditTrailCheck([], { sequence: 6, hash: records[5].hash });
    for (const record of records) check.next(record);
    expect(check.result()).toMatchObject({ ok: true, checked: 6 });
  });
});
