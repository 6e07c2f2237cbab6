import { registerIsa95Node } from '../lib/isa95-node';
import type { NodeAPI } from '../lib/node-red';
import { workOrderModel } from './work-order-model';

/** Registers `isa95-work-order`: message fields or B2MML → typed `msg.isa95`, validated. */
export default function register(RED: NodeAPI): void {
  registerIsa95Node(RED, 'isa95-work-order', workOrderModel);
}
