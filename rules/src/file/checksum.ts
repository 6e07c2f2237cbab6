import { createHash } from 'node:crypto';
import type { RuleSetFile } from '@loopgate/contracts';
import { serializeRuleSet } from './canonical';

/**
 * SHA-256 (hex) of the canonical file text: equal for equal rule sets however they were written,
 * and equal to `sha256sum rules/sets/<id>.json` for a file saved by `serializeRuleSet`.
 * Server-side only (node:crypto); the browser-safe core leaves it out.
 *
 * @example ruleSetChecksum(file) // 'c0ffee…' (64 hex digits)
 */
export function ruleSetChecksum(file: RuleSetFile): string {
  return createHash('sha256').update(serializeRuleSet(file), 'utf8').digest('hex');
}
