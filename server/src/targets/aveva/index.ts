import type { TargetDefinition } from '../adapter';
import { defineTarget } from '../describe';
import { avevaDescription } from './description';
import { AvevaAdapter } from './adapter';
import { parseAvevaConfig, type AvevaConfig } from './config';
import { avevaSimulatorDefinition } from './simulator';

export { AvevaAdapter } from './adapter';
export { avevaDescription } from './description';
export { parseAvevaConfig, type AvevaConfig } from './config';

/** AVEVA MES / System Platform, as registered in `TARGET_DEFINITIONS`. */
export const avevaTarget: TargetDefinition<AvevaConfig> = defineTarget({
  description: avevaDescription,
  parseConfig: (raw) => parseAvevaConfig(raw),
  create: (instance, config) => new AvevaAdapter(instance, config),
  simulator: avevaSimulatorDefinition,
});
