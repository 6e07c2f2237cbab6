import type { TargetDefinition } from '../adapter';
import { defineTarget } from '../describe';
import { opcenterDescription } from './description';
import { OpcenterAdapter } from './adapter';
import { parseOpcenterConfig, type OpcenterConfig } from './config';
import { opcenterSimulatorDefinition } from './simulator';

export { OpcenterAdapter } from './adapter';
export { opcenterDescription } from './description';
export { parseOpcenterConfig, type OpcenterConfig } from './config';

/** Siemens Opcenter Execution, as registered in `TARGET_DEFINITIONS`. */
export const opcenterTarget: TargetDefinition<OpcenterConfig> = defineTarget({
  description: opcenterDescription,
  parseConfig: (raw) => parseOpcenterConfig(raw),
  create: (instance, config) => new OpcenterAdapter(instance, config),
  simulator: opcenterSimulatorDefinition,
});
