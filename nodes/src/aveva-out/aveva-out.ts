import type { NodeAPI } from '../lib/node-red';
import { registerWriteBackOutput } from '../lib/writeback/output-node';

/** Registers `aveva-out`: write-back requests for aveva targets, submitted through the gateway. */
export default function register(RED: NodeAPI): void {
  registerWriteBackOutput(RED, 'aveva');
}
