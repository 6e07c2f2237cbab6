import type { NodeAPI } from '../lib/node-red';
import { registerWriteBackOutput } from '../lib/writeback/output-node';

/** Registers `opcua-setpoint-out`: write-back requests for opcua targets, submitted through the gateway. */
export default function register(RED: NodeAPI): void {
  registerWriteBackOutput(RED, 'opcua');
}
