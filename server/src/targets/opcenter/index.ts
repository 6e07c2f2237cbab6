import type { TargetDefinition } from '../adapter';
import { ACTIONS, OpcenterAdapter } from './adapter';
import { parseOpcenterConfig, type OpcenterConfig } from './config';
import { opcenterSimulatorDefinition } from './simulator';

export { OpcenterAdapter } from './adapter';
export { parseOpcenterConfig, type OpcenterConfig } from './config';

/** Siemens Opcenter Execution, as registered in `TARGET_DEFINITIONS`. */
export const opcenterTarget: TargetDefinition<OpcenterConfig> = {
  kind: 'opcenter',
  actions: ACTIONS,
  parseConfig: (raw) => parseOpcenterConfig(raw),
  create: (instance, config) => new OpcenterAdapter(instance, config),
  simulator: opcenterSimulatorDefinition,
};
