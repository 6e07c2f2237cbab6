import type { TargetDefinition } from '../adapter';
import { defineTarget } from '../describe';
import { SapDmAdapter } from './adapter';
import { parseSapDmConfig, type SapDmConfig } from './config';
import { sapDmDescription } from './description';
import { sapDmSimulatorDefinition } from './simulator';

export { SapDmAdapter } from './adapter';
export { sapDmDescription } from './description';
export { parseSapDmConfig, type SapDmConfig } from './config';

/** SAP Digital Manufacturing (its REST APIs' style), as registered in `TARGET_DEFINITIONS`. */
export const sapDmTarget: TargetDefinition<SapDmConfig> = defineTarget({
  description: sapDmDescription,
  parseConfig: (raw) => parseSapDmConfig(raw),
  create: (instance, config) => new SapDmAdapter(instance, config),
  simulator: sapDmSimulatorDefinition,
});
