import type { NodeAPI } from '../lib/node-red';
import { registerWriteBackOutput } from '../lib/writeback/output-node';

/** Registers `opcenter-out`: write-back requests for opcenter targets, submitted through the gateway. */
export default function register(RED: NodeAPI): void {
  registerWriteBackOutput(RED, 'opcenter');
}
