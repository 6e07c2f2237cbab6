import { createHash } from 'node:crypto';
import type { AuditRecord, AuditVerification } from '@loopgate/contracts';

/** The previous hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted, `undefined` members left out, no whitespace. The same record
 * always gives the same text, whatever order its fields were set in.
 *
 * @example canonicalJson({ b: 1, a: [true, null], c: undefined }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in audit record');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 over the record's canonical content, which includes `sequence` and `previousHash`. */
export function auditHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _hash, ...content } = record;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** Completes an entry into the next link of the chain. */
export function sealRecord(content: Omit<AuditRecord, 'hash'>): AuditRecord {
  return { ...content, hash: auditHash(content) };
}

/**
 * Checks records in sequence order, one at a time, so a long trail streams through in pages.
 * The first record that does not verify is named; checking stops there.
 */
export class ChainVerifier {
  private checked = 0;
  private previous: { sequence: number; hash: string } | undefined;
  private broken: AuditVerification['firstBroken'];

  constructor(private readonly start: { sequence: number; hash: string } = { sequence: 0, hash: GENESIS_HASH }) {
    this.previous = start;
  }

  /** Returns false once the chain is broken; later records are not looked at. */
  next(record: AuditRecord): boolean {
    if (this.broken) return false;
    this.checked += 1;
    const previous = this.previous ?? this.start;
    if (record.sequence !== previous.sequence + 1) {
      this.broken = { sequence: record.sequence, reason: 'sequence-gap' };
    } else if (record.previousHash !== previous.hash) {
      this.broken = { sequence: record.sequence, reason: 'chain-broken' };
    } else if (auditHash(record) !== record.hash) {
      this.broken = { sequence: record.sequence, reason: 'hash-mismatch' };
    }
    this.previous = { sequence: record.sequence, hash: record.hash };
    return !this.broken;
  }

  result(): AuditVerification {
    return this.broken
      ? { ok: false, checked: this.checked, firstBroken: this.broken }
      : { ok: true, checked: this.checked };
  }
}
