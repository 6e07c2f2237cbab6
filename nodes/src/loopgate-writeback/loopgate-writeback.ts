import { TARGET_CATALOGUE } from '@loopgate/contracts';
import type { NodeAPI } from '../lib/node-red';
import { registerWriteBackOutput } from '../lib/writeback/output-node';

/**
 * Registers one output node per target the gateway describes (`opcenter-out`, `factorytalk-out`,
 * …, from `TARGET_CATALOGUE`): write-back requests for that kind of target, submitted through the
 * gateway. Their editors and help are rendered from the same descriptions at build.
 */
export default function register(RED: NodeAPI): void {
  for (const target of Object.values(TARGET_CATALOGUE)) registerWriteBackOutput(RED, target.kind);
}
