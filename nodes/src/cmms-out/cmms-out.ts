import type { NodeAPI } from '../lib/node-red';
import { registerWriteBackOutput } from '../lib/writeback/output-node';

/** Registers `cmms-out`: write-back requests for cmms targets, submitted through the gateway. */
export default function register(RED: NodeAPI): void {
  registerWriteBackOutput(RED, 'cmms');
}
