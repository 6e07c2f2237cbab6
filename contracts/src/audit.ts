import type { Isa95ObjectRef, Lineage, ParameterValue, ReasonCode, TargetRef, WriteBackAction } from './writeback';

export const AUDIT_OUTCOMES = [
  'accepted',
  'rejected',
  'pending',
  'approved',
  'applied',
  'overridden',
  'expired',
  'failed',
  'reverted',
  'shadow',
  'security',
  /** An attempt failed (lock unavailable, transient MES failure) and is retried with backoff. */
  'retried',
  /** Earned autonomy: a scope promoted (signed) or demoted, an effect judged, an operator's feedback. */
  'autonomy',
  /** A refusal alarm acknowledged or shelved by a person. */
  'alarm',
] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** A 21 CFR Part 11 style electronic signature, bound to the hash of the record it signs. */
export interface ElectronicSignature {
  signer: string;
  signerName: string;
  meaning: 'approved' | 'rejected' | 'reviewed' | 'authored';
  signedAt: string;
  /** SHA-256 of the signed record's canonical content; the signature is void on any other record. */
  recordHash: string;
}

/** One append-only audit entry. `hash` = SHA-256(canonical content without `hash` + previous hash). */
export interface AuditRecord {
  sequence: number;
  time: string;
  commandId?: string;
  requestId?: string;
  lineage: Lineage;
  target?: TargetRef;
  object?: Isa95ObjectRef;
  action?: WriteBackAction | string;
  parameter?: string;
  priorValue?: ParameterValue | null;
  newValue?: ParameterValue | null;
  outcome: AuditOutcome;
  reasonCode?: ReasonCode | string;
  message?: string;
  /**
   * The reason as it was typed, by the flow that requested a write (its `reason`) or by the person
   * who reverted, paused, stopped, switched shadow mode or acknowledged an alarm.
   */
  reason?: string;
  actor: string;
  signature?: ElectronicSignature;
  mesTransactionId?: string;
  timings?: { receivedAt?: string; decidedAt?: string; appliedAt?: string };
  previousHash: string;
  hash: string;
}

/** How a record or the chain was tampered with, as `audit verify` names it. */
export const AUDIT_TAMPER_KINDS = [
  /** A record's content no longer gives its stored hash. */
  'edited',
  /** Sequence numbers missing between two records. */
  'deleted',
  /** Two neighbouring records trade places. */
  'swapped',
  /** Hashes recomputed after a change: they disagree with what the next record or a signed checkpoint holds. */
  're-sealed',
  /** Records a signed checkpoint (or the chain head) covers are gone from the end. */
  'truncated',
  /** A checkpoint whose signature does not verify with the audit key. */
  'checkpoint-forged',
] as const;
export type AuditTamperKind = (typeof AUDIT_TAMPER_KINDS)[number];

export interface AuditFinding {
  kind: AuditTamperKind;
  /** First record concerned. */
  sequence: number;
  /** Last record concerned, when a range. */
  toSequence?: number;
  detail: string;
}

/**
 * The chain head signed with a key the database does not hold, published outside the database
 * (file sink, MES event log). `signature` = HMAC-SHA256(key, RFC 8785 form of every other field).
 */
export interface AuditCheckpoint {
  type: 'loopgate.audit.checkpoint';
  version: 1;
  /** The chain's last record when the checkpoint was made, and its hash. */
  sequence: number;
  hash: string;
  time: string;
  algorithm: 'HMAC-SHA256';
  /** First 16 hex digits of SHA-256 of the key: tells which key signed, reveals nothing of it. */
  keyId: string;
  signature: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first record whose hash or link does not verify. */
  firstBroken?: { sequence: number; reason: 'hash-mismatch' | 'chain-broken' | 'sequence-gap' | AuditTamperKind };
  /** Every tampering found, by kind (at most 100). */
  findings?: AuditFinding[];
  /** Signed checkpoints checked against the records. */
  checkpoints?: {
    checked: number;
    latest?: { sequence: number; time: string };
    /** Records after the latest checkpoint: chained, not yet anchored outside the database. */
    unanchored: number;
  };
}
