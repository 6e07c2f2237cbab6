import type { TargetDefinition } from '../adapter';
import { ACTIONS, CmmsAdapter } from './adapter';
import { parseCmmsConfig, type CmmsConfig } from './config';
import { cmmsSimulatorDefinition } from './simulator';

export { CmmsAdapter } from './adapter';
export { parseCmmsConfig, type CmmsConfig } from './config';

/** A CMMS with Maximo-style object-structure REST, as registered in `TARGET_DEFINITIONS`. */
export const cmmsTarget: TargetDefinition<CmmsConfig> = {
  kind: 'cmms',
  actions: ACTIONS,
  parseConfig: (raw) => parseCmmsConfig(raw),
  create: (instance, config) => new CmmsAdapter(instance, config),
  simulator: cmmsSimulatorDefinition,
};
