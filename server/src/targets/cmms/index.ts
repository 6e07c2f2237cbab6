import type { TargetDefinition } from '../adapter';
import { defineTarget } from '../describe';
import { cmmsDescription } from './description';
import { CmmsAdapter } from './adapter';
import { parseCmmsConfig, type CmmsConfig } from './config';
import { cmmsSimulatorDefinition } from './simulator';

export { CmmsAdapter } from './adapter';
export { cmmsDescription } from './description';
export { parseCmmsConfig, type CmmsConfig } from './config';

/** A CMMS with Maximo-style object-structure REST, as registered in `TARGET_DEFINITIONS`. */
export const cmmsTarget: TargetDefinition<CmmsConfig> = defineTarget({
  description: cmmsDescription,
  parseConfig: (raw) => parseCmmsConfig(raw),
  create: (instance, config) => new CmmsAdapter(instance, config),
  simulator: cmmsSimulatorDefinition,
});
