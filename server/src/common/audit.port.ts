import type { AuditRecord } from '@loopgate/contracts';

/** Everything of an audit record except what the chain computes (sequence, time, hashes). */
export type AuditEntry = Omit<AuditRecord, 'sequence' | 'time' | 'previousHash' | 'hash' | 'lineage'> &
  Partial<Pick<AuditRecord, 'lineage' | 'time'>>;

/** Appends to the hash-chained audit trail. Records are never edited or deleted. */
export interface AuditWriter {
  append(entry: AuditEntry): Promise<AuditRecord>;
}
export const AUDIT_WRITER = Symbol('AUDIT_WRITER');
