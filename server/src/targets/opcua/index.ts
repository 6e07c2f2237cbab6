import type { TargetDefinition } from '../adapter';
import { defineTarget } from '../describe';
import { opcuaDescription } from './description';
import { OpcuaAdapter } from './adapter';
import { parseOpcuaConfig, type OpcuaConfig } from './config';
import { cncCellSimulatorDefinition } from './simulator';

export { OpcuaAdapter } from './adapter';
export { opcuaDescription } from './description';
export { parseOpcuaConfig, type OpcuaConfig } from './config';
export { CNC_CELL_NAMESPACE_URI, CNC_CELL_NODE_IDS, startCncCellSimulator } from './simulator';

/** OPC UA setpoints (node-opcua), as registered in `TARGET_DEFINITIONS`. */
export const opcuaTarget: TargetDefinition<OpcuaConfig> = defineTarget({
  description: opcuaDescription,
  parseConfig: (raw) => parseOpcuaConfig(raw),
  create: (instance, config) => new OpcuaAdapter(instance, config),
  simulator: cncCellSimulatorDefinition,
});
