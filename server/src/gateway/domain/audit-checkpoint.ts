import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditCheckpoint, AuditFinding } from '@loopgate/contracts';
import { canonicalJson } from './audit-chain';

/** First 16 hex digits of SHA-256 of the key: names the key without revealing it. */
export function auditKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function mac(key: Buffer, unsigned: Omit<AuditCheckpoint, 'signature'>): string {
  return createHmac('sha256', key).update(canonicalJson(unsigned), 'utf8').digest('hex');
}

/**
 * Signs the chain head: HMAC-SHA256(key, RFC 8785 form of the checkpoint without `signature`).
 *
 * @example signCheckpoint(key, { sequence: 42, hash: 'ab…' }, '2026-01-01T00:00:00.000Z')
 */
export function signCheckpoint(key: Buffer, head: { sequence: number; hash: string }, time: string): AuditCheckpoint {
  const unsigned: Omit<AuditCheckpoint, 'signature'> = {
    type: 'loopgate.audit.checkpoint',
    version: 1,
    sequence: head.sequence,
    hash: head.hash,
    time,
    algorithm: 'HMAC-SHA256',
    keyId: auditKeyId(key),
  };
  return { ...unsigned, signature: mac(key, unsigned) };
}

export function checkpointSignatureValid(key: Buffer, checkpoint: AuditCheckpoint): boolean {
  const { signature, ...unsigned } = checkpoint;
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(mac(key, unsigned), 'hex'), Buffer.from(signature, 'hex'));
}

/**
 * Reads a checkpoint sink (NDJSON): checkpoints whose signature verifies, and a `checkpoint-forged`
 * finding for each line that does not parse or verify. Lines signed with another key are forged too.
 */
export function readCheckpoints(key: Buffer, ndjson: string): { valid: AuditCheckpoint[]; forged: AuditFinding[] } {
  const valid: AuditCheckpoint[] = [];
  const forged: AuditFinding[] = [];
  ndjson.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let checkpoint: AuditCheckpoint | undefined;
    try {
      checkpoint = JSON.parse(line) as AuditCheckpoint;
    } catch {
      checkpoint = undefined;
    }
    if (checkpoint && checkpoint.type === 'loopgate.audit.checkpoint' && checkpointSignatureValid(key, checkpoint)) {
      valid.push(checkpoint);
      return;
    }
    forged.push({
      kind: 'checkpoint-forged',
      sequence: typeof checkpoint?.sequence === 'number' ? checkpoint.sequence : 0,
      detail: `checkpoint line ${index + 1} does not verify with the audit key ${auditKeyId(key)}`,
    });
  });
  return { valid, forged };
}
