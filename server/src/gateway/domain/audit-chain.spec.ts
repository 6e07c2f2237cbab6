import type { AuditRecord } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { auditHash, canonicalJson, ChainVerifier, GENESIS_HASH, sealRecord } from './audit-chain';

function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  let previousHash = GENESIS_HASH;
  for (let sequence = 1; sequence <= n; sequence++) {
    const record = sealRecord({
      sequence,
      time: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(),
      lineage: { inferenceId: `inf-${sequence}` },
      outcome: 'applied',
      actor: 'gateway',
      priorValue: sequence,
      newValue: sequence + 1,
      previousHash,
    });
    previousHash = record.hash;
    records.push(record);
  }
  return records;
}

function verify(records: AuditRecord[]) {
  const verifier = new ChainVerifier();
  for (const record of records) if (!verifier.next(record)) break;
  return verifier.result();
}

describe('canonicalJson', () => {
  it('sorts keys at every level and leaves undefined out', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' }, e: undefined })).toBe(
      '{"a":{"c":"x","d":[true,null]},"b":1}',
    );
  });

  it('gives the same text whatever order fields were set in', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('refuses non-finite numbers', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
  });
});

describe('ChainVerifier', () => {
  it('verifies an intact chain', () => {
    expect(verify(chain(5))).toEqual({ ok: true, checked: 5 });
  });

  it('names an edited record as hash-mismatch', () => {
    const records = chain(5);
    records[2] = { ...records[2], newValue: 999 };
    expect(verify(records)).toEqual({ ok: false, checked: 3, firstBroken: { sequence: 3, reason: 'hash-mismatch' } });
  });

  it('names a record whose link does not match as chain-broken', () => {
    const records = chain(5);
    const forged = { ...records[3], previousHash: 'f'.repeat(64) };
    records[3] = { ...forged, hash: auditHash(forged) };
    expect(verify(records).firstBroken).toEqual({ sequence: 4, reason: 'chain-broken' });
  });

  it('names a deleted record as a sequence gap', () => {
    const records = chain(5);
    records.splice(1, 1);
    expect(verify(records).firstBroken).toEqual({ sequence: 3, reason: 'sequence-gap' });
  });

  it('hashes the previous hash with the content', () => {
    const [first] = chain(1);
    expect(auditHash({ ...first, previousHash: '1'.repeat(64) })).not.toBe(first.hash);
  });
});
