import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/audit-chain';
import { toOutcome, type Command } from '../domain/command';

/**
 * The hash a signature binds to: SHA-256 of the pending command's canonical content
 * (everything but the signature itself), so a signature cannot be moved to another change.
 */
export function commandRecordHash(command: Command): string {
  const { approval, ...rest } = toOutcome(command);
  const content = {
    ...rest,
    approval: approval
      ? { rule: approval.rule, requiresQuality: approval.requiresQuality, expiresAt: approval.expiresAt }
      : undefined,
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
