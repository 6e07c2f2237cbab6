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
  actor: string;
  signature?: ElectronicSignature;
  mesTransactionId?: string;
  timings?: { receivedAt?: string; decidedAt?: string; appliedAt?: string };
  previousHash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first record whose hash or link does not verify. */
  firstBroken?: { sequence: number; reason: 'hash-mismatch' | 'chain-broken' | 'sequence-gap' };
}
