import type { NodeAPI } from '../lib/node-red';
import { registerWriteBackOutput } from '../lib/writeback/output-node';

/** Registers `factorytalk-out`: write-back requests for factorytalk targets, submitted through the gateway. */
export default function register(RED: NodeAPI): void {
  registerWriteBackOutput(RED, 'factorytalk');
}
