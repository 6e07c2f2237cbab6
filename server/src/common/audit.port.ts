import type { AuditRecord } from '@loopgate/contracts';

/** Everything of an audit record except what the chain computes (sequence, time, hashes). */
export type AuditEntry = Omit<AuditRecord, 'sequence' | 'time' | 'previousHash' | 'hash' | 'lineage'> &
  Partial<Pick<AuditRecord, 'lineage' | 'time'>>;

/** A column → value map of one table row (snake_case column names, as the migrations create them). */
export type RowValues = Record<string, string | number | null>;

/**
 * Rows of another module's tables changed in the same transaction as the audit record that tells
 * of them: `update` must match exactly one row, else nothing is written and the commit rejects with
 * `conflict()`; then `insert` adds its rows. Table and column names come from code, never from input.
 */
export interface RowChange {
  update?: { table: string; where: RowValues; set: RowValues };
  insert?: { table: string; row: RowValues }[];
  conflict: () => Error;
}

/** Appends to the hash-chained audit trail. Records are never edited or deleted. */
export interface AuditWriter {
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** Appends `entry` and applies `change` in one transaction: both are stored, or neither. */
  appendWith(entry: AuditEntry, change: RowChange): Promise<AuditRecord>;
}
export const AUDIT_WRITER = Symbol('AUDIT_WRITER');
