import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_HASH_FORMULA, ChainVerifier, sealRecord } from '../../domain/audit-chain';
import { rowToAudit } from '../row-mappers';
import type { Dialect } from '../sql';

/**
 * Record hashes from here on are SHA-256 over RFC 8785 canonical JSON. An existing chain (sealed
 * with Loopgate's earlier canonical form) is checked once more and then re-anchored: one record
 * states the legacy head, how many legacy records verified and the formula that follows, linked
 * to that head like any record, so a verifier can see where and why the formula changed.
 */
export class AuditReanchor1767700000000 implements MigrationInterface {
  name = 'AuditReanchor1767700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dialect: Dialect = queryRunner.connection.options.type === 'postgres' ? 'postgres' : 'sqlite';
    const lock = dialect === 'postgres' ? ' FOR UPDATE' : '';
    const [head] = (await queryRunner.query(
      `SELECT "sequence", "hash" FROM "audit_chain_head" WHERE "id" = 1${lock}`,
    )) as { sequence: number | string; hash: string }[];
    const headSequence = Number(head.sequence);
    if (headSequence === 0) return;
    const verifier = new ChainVerifier();
    for (let after = 0; ;) {
      const rows = (await queryRunner.query(
        dialect === 'postgres'
          ? 'SELECT * FROM "audit_records" WHERE "sequence" > $1 AND "sequence" <= $2 ORDER BY "sequence" LIMIT 1000'
          : 'SELECT * FROM "audit_records" WHERE "sequence" > ? AND "sequence" <= ? ORDER BY "sequence" LIMIT 1000',
        [after, headSequence],
      )) as Record<string, unknown>[];
      if (rows.length === 0) break;
      for (const row of rows) verifier.next(rowToAudit(row));
      after = Number(rows[rows.length - 1].sequence);
    }
    const legacy = verifier.result();
    const verdict = legacy.ok
      ? `legacy records 1..${headSequence} verified (${legacy.checked})`
      : `legacy chain BROKEN at record ${legacy.firstBroken?.sequence} (${legacy.firstBroken?.reason}); ${legacy.checked} checked`;
    // Written with the columns of this point in the schema's history, not whatever the mappers hold later.
    const record = sealRecord({
      sequence: headSequence + 1,
      time: new Date().toISOString(),
      lineage: {},
      action: 'audit-re-anchored',
      parameter: 'hash formula',
      priorValue: 'loopgate-canonical-json-v1',
      newValue: AUDIT_HASH_FORMULA,
      outcome: 'security',
      reasonCode: legacy.ok ? 'AUDIT_REANCHORED' : 'AUDIT_REANCHORED_BROKEN',
      message: `hash formula ${AUDIT_HASH_FORMULA} from record ${headSequence + 1}; ${verdict}; legacy head ${head.hash}`,
      actor: 'system:migration',
      previousHash: head.hash,
    });
    const row: [string, unknown][] = [
      ['sequence', record.sequence],
      ['time', record.time],
      ['lineage_json', '{}'],
      ['action', record.action],
      ['parameter', record.parameter],
      ['prior_value_json', JSON.stringify(record.priorValue)],
      ['new_value_json', JSON.stringify(record.newValue)],
      ['outcome', record.outcome],
      ['reason_code', record.reasonCode],
      ['message', record.message],
      ['actor', record.actor],
      ['previous_hash', record.previousHash],
      ['hash', record.hash],
    ];
    const marks = row.map((_c, i) => (dialect === 'postgres' ? `$${i + 1}` : '?')).join(',');
    await queryRunner.query(
      `INSERT INTO "audit_records" (${row.map(([c]) => `"${c}"`).join(',')}) VALUES (${marks})`,
      row.map(([, v]) => v),
    );
    await queryRunner.query(
      dialect === 'postgres'
        ? 'UPDATE "audit_chain_head" SET "sequence" = $1, "hash" = $2 WHERE "id" = 1'
        : 'UPDATE "audit_chain_head" SET "sequence" = ?, "hash" = ? WHERE "id" = 1',
      [record.sequence, record.hash],
    );
  }

  async down(): Promise<void> {
    // The re-anchoring record is part of the append-only chain: nothing to undo.
  }
}
