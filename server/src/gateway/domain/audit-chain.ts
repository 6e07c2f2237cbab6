import { createHash } from 'node:crypto';
import type { AuditCheckpoint, AuditFinding, AuditRecord, AuditVerification } from '@loopgate/contracts';
import { canonicalizeEx } from 'json-canonicalize';

/** The previous hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** Names the record hash formula in docs/audit.md and in the re-anchoring record. */
export const AUDIT_HASH_FORMULA = 'sha256-rfc8785';

/** At most this many findings are listed; verification goes on counting. */
const MAX_FINDINGS = 100;

/**
 * RFC 8785 (JSON Canonicalization Scheme) text: keys sorted by UTF-16 code units, ECMAScript
 * number form, no whitespace; `undefined` members left out (they are absent in stored JSON).
 *
 * @example canonicalJson({ b: 1, a: [true, null], c: undefined }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  assertFinite(value);
  return canonicalizeEx(value, { filterUndefined: true, undefinedInArrayToNull: true });
}

function assertFinite(value: unknown): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number in audit record');
  if (value !== null && typeof value === 'object') for (const v of Object.values(value)) assertFinite(v);
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of the RFC 8785 form of the record without `hash`. */
export function auditHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _hash, ...content } = record;
  return createHash('sha256').update(canonicalJson(content), 'utf8').digest('hex');
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

interface Link {
  sequence: number;
  previousHash: string;
  hash: string;
  /** The stored hash is the hash of the stored content. */
  sealed: boolean;
}

/**
 * Verifies a whole trail against the signed checkpoints and names every kind of tampering it
 * finds: edited, deleted (in the middle), swapped, re-sealed, truncated. Records are fed in
 * stored order; each is judged once its successor is known. The same rules are in
 * tools/verify-audit.py.
 *
 * @example
 * const check = new AuditTrailCheck(checkpoints, head);
 * for (const record of records) check.next(record);
 * const report = check.result();
 */
export class AuditTrailCheck {
  private readonly findings: AuditFinding[] = [];
  private findingCount = 0;
  private checked = 0;
  /** Last judged link: sequence and the hash the next record must name. */
  private tip: { sequence: number; hash: string } = { sequence: 0, hash: GENESIS_HASH };
  private waiting: Link | undefined;
  private swappedWith: Link | undefined;
  private readonly checkpointAt = new Map<number, AuditCheckpoint>();
  private lastCheckpoint = 0;
  private rewriting = false;
  private lastSequence = 0;

  /**
   * @param checkpoints signed checkpoints whose signature verified (others are reported by the caller)
   * @param head the chain head row, when known: records it covers must all be there
   */
  constructor(
    private readonly checkpoints: AuditCheckpoint[],
    private readonly head?: { sequence: number; hash: string },
  ) {
    for (const checkpoint of checkpoints) this.checkpointAt.set(checkpoint.sequence, checkpoint);
  }

  next(record: AuditRecord): void {
    this.checked += 1;
    const link: Link = {
      sequence: record.sequence,
      previousHash: record.previousHash,
      hash: record.hash,
      sealed: auditHash(record) === record.hash,
    };
    if (this.waiting) this.judge(this.waiting, link);
    this.waiting = link;
  }

  result(): AuditVerification {
    if (this.waiting) this.judge(this.waiting, undefined);
    this.waiting = undefined;
    const last = this.lastSequence;
    const covered = Math.max(this.head?.sequence ?? 0, ...this.checkpoints.map((c) => c.sequence), 0);
    if (covered > last) {
      this.add({
        kind: 'truncated',
        sequence: last + 1,
        toSequence: covered,
        detail: `records ${last + 1}..${covered} are covered by ${
          this.checkpoints.some((c) => c.sequence > last) ? 'a signed checkpoint' : 'the chain head'
        } but missing`,
      });
    }
    const latest = this.checkpoints.reduce<AuditCheckpoint | undefined>(
      (a, c) => (!a || c.sequence > a.sequence ? c : a),
      undefined,
    );
    const verification: AuditVerification = {
      ok: this.findingCount === 0,
      checked: this.checked,
      findings: this.findings,
      checkpoints: {
        checked: this.checkpoints.length,
        ...(latest ? { latest: { sequence: latest.sequence, time: latest.time } } : {}),
        unanchored: Math.max(0, last - (latest?.sequence ?? 0)),
      },
    };
    const first = this.findings[0];
    if (first) verification.firstBroken = { sequence: first.sequence, reason: first.kind };
    return verification;
  }

  private judge(link: Link, following: Link | undefined): void {
    if (this.swappedWith === link) {
      this.swappedWith = undefined;
      this.lastSequence = link.sequence;
      return;
    }
    const tip = this.tip;
    if (link.sequence > tip.sequence + 1) {
      this.add({
        kind: 'deleted',
        sequence: tip.sequence + 1,
        ...(link.sequence - 1 > tip.sequence + 1 ? { toSequence: link.sequence - 1 } : {}),
        detail: `record(s) ${tip.sequence + 1}..${link.sequence - 1} missing between ${tip.sequence} and ${link.sequence}`,
      });
    } else if (
      link.previousHash !== tip.hash &&
      following &&
      following.previousHash === tip.hash &&
      link.previousHash === following.hash
    ) {
      this.add({
        kind: 'swapped',
        sequence: link.sequence,
        toSequence: following.sequence,
        detail: `records ${link.sequence} and ${following.sequence} are in each other's place`,
      });
      this.swappedWith = following;
      this.tip = { sequence: following.sequence, hash: link.hash };
      this.lastSequence = link.sequence;
      return;
    } else if (!link.sealed) {
      this.add({
        kind: 'edited',
        sequence: link.sequence,
        detail: `record ${link.sequence} does not give its stored hash`,
      });
    } else if (link.previousHash !== tip.hash) {
      this.add({
        kind: 're-sealed',
        sequence: tip.sequence,
        detail: `record ${tip.sequence} was sealed again after record ${link.sequence} linked to it`,
      });
    }
    this.checkCheckpoint(link);
    this.tip = { sequence: link.sequence, hash: link.hash };
    this.lastSequence = link.sequence;
  }

  /** One finding per run of rewritten checkpoints: every later hash differs once one does. */
  private checkCheckpoint(link: Link): void {
    const checkpoint = this.checkpointAt.get(link.sequence);
    if (!checkpoint) return;
    const from = this.lastCheckpoint + 1;
    this.lastCheckpoint = link.sequence;
    if (checkpoint.hash === link.hash) {
      this.rewriting = false;
      return;
    }
    if (this.rewriting || !link.sealed) return;
    this.rewriting = true;
    this.add({
      kind: 're-sealed',
      sequence: from,
      toSequence: link.sequence,
      detail: `record ${link.sequence} differs from the checkpoint signed at ${checkpoint.time}: records ${from}..${link.sequence} were rewritten and sealed again`,
    });
  }

  private add(finding: AuditFinding): void {
    this.findingCount += 1;
    if (this.findings.length < MAX_FINDINGS) this.findings.push(finding);
  }
}
