import type { AuditCheckpoint, AuditRecord } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { auditHash, AuditTrailCheck, canonicalJson, ChainVerifier, GENESIS_HASH, sealRecord } from './audit-chain';
import { readCheckpoints, signCheckpoint } from './audit-checkpoint';

const KEY = Buffer.from('test audit key, thirty-two characters or more');

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

describe('canonicalJson is RFC 8785', () => {
  it('writes numbers in ECMAScript form and sorts keys by UTF-16 code units', () => {
    // The RFC's own examples (section 3.2.2.3 and 3.2.3).
    expect(canonicalJson({ n: [1e21, 1e-7, 0.000001, 333333333.3333333, -0] })).toBe(
      '{"n":[1e+21,1e-7,0.000001,333333333.3333333,0]}',
    );
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '\u00f6': 4, '1': 5 })).toBe(
      '{"\\r":2,"1":5,"ö":4,"€":1,"😀":3}',
    );
  });
});

describe('AuditTrailCheck', () => {
  const sign = (records: AuditRecord[], at: number[]): AuditCheckpoint[] =>
    at.map((sequence) => signCheckpoint(KEY, records[sequence - 1], '2026-01-01T01:00:00.000Z'));

  function check(
    records: AuditRecord[],
    checkpoints: AuditCheckpoint[] = [],
    head?: { sequence: number; hash: string },
  ) {
    const trail = new AuditTrailCheck(checkpoints, head);
    for (const record of records) trail.next(record);
    return trail.result();
  }

  function reseal(records: AuditRecord[], from: number): AuditRecord[] {
    const out = records.slice(0, from - 1);
    let previousHash = from === 1 ? GENESIS_HASH : out[from - 2].hash;
    for (const record of records.slice(from - 1)) {
      const { hash: _h, ...content } = record;
      const sealed = sealRecord({ ...content, sequence: out.length + 1, previousHash });
      out.push(sealed);
      previousHash = sealed.hash;
    }
    return out;
  }

  it('passes an intact chain and counts the records after the latest checkpoint', () => {
    const records = chain(10);
    expect(check(records, sign(records, [4, 8]))).toEqual({
      ok: true,
      checked: 10,
      findings: [],
      checkpoints: { checked: 2, latest: { sequence: 8, time: '2026-01-01T01:00:00.000Z' }, unanchored: 2 },
    });
  });

  it('names an edited record', () => {
    const records = chain(6);
    records[2] = { ...records[2], newValue: 99 };
    expect(check(records).findings).toEqual([expect.objectContaining({ kind: 'edited', sequence: 3 })]);
  });

  it('names records deleted in the middle', () => {
    const records = chain(8);
    expect(check([...records.slice(0, 3), ...records.slice(5)]).findings).toEqual([
      expect.objectContaining({ kind: 'deleted', sequence: 4, toSequence: 5 }),
    ]);
  });

  it('names two swapped records', () => {
    const records = chain(6);
    const swapped = [...records];
    swapped[2] = { ...records[3], sequence: 3 };
    swapped[3] = { ...records[2], sequence: 4 };
    expect(check(swapped).findings).toEqual([expect.objectContaining({ kind: 'swapped', sequence: 3, toSequence: 4 })]);
  });

  it('names a record sealed again after its successor linked to it', () => {
    const records = chain(6);
    const { hash: _hash, ...content } = records[2];
    records[2] = sealRecord({ ...content, newValue: 99 });
    expect(check(records).findings).toEqual([expect.objectContaining({ kind: 're-sealed', sequence: 3 })]);
  });

  it('names an edit re-sealed to the head by the checkpoint it contradicts', () => {
    const records = chain(10);
    const checkpoints = sign(records, [4, 8]);
    const forged = reseal([...records.slice(0, 5), { ...records[5], newValue: 99 }, ...records.slice(6)], 6);
    expect(check(forged, checkpoints, forged[9]).findings).toEqual([
      expect.objectContaining({ kind: 're-sealed', sequence: 5, toSequence: 8 }),
    ]);
  });

  it('names a truncated tail covered by a checkpoint, even when the head moved with it', () => {
    const records = chain(10);
    const checkpoints = sign(records, [9]);
    expect(check(records.slice(0, 7), checkpoints, records[6]).findings).toEqual([
      expect.objectContaining({ kind: 'truncated', sequence: 8, toSequence: 9 }),
    ]);
  });

  it('names a truncated tail the chain head still covers', () => {
    const records = chain(5);
    expect(check(records.slice(0, 3), [], records[4]).findings).toEqual([
      expect.objectContaining({ kind: 'truncated', sequence: 4, toSequence: 5 }),
    ]);
  });
});

describe('checkpoints', () => {
  it('verify with the key that signed them and with no other', () => {
    const checkpoint = signCheckpoint(KEY, { sequence: 3, hash: 'a'.repeat(64) }, '2026-01-01T00:00:00.000Z');
    const lines = `${JSON.stringify(checkpoint)}\n${JSON.stringify({ ...checkpoint, sequence: 4 })}\n`;
    const read = readCheckpoints(KEY, lines);
    expect(read.valid).toEqual([checkpoint]);
    expect(read.forged).toEqual([expect.objectContaining({ kind: 'checkpoint-forged', sequence: 4 })]);
    expect(readCheckpoints(Buffer.from('another key of at least thirty-two chars'), lines).valid).toEqual([]);
  });
});
