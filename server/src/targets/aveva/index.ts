import type { TargetDefinition } from '../adapter';
import { ACTIONS, AvevaAdapter } from './adapter';
import { parseAvevaConfig, type AvevaConfig } from './config';
import { avevaSimulatorDefinition } from './simulator';

export { AvevaAdapter } from './adapter';
export { parseAvevaConfig, type AvevaConfig } from './config';

/** AVEVA MES / System Platform, as registered in `TARGET_DEFINITIONS`. */
export const avevaTarget: TargetDefinition<AvevaConfig> = {
  kind: 'aveva',
  actions: ACTIONS,
  parseConfig: (raw) => parseAvevaConfig(raw),
  create: (instance, config) => new AvevaAdapter(instance, config),
  simulator: avevaSimulatorDefinition,
};
