import type { TargetDefinition } from '../adapter';
import { defineTarget } from '../describe';
import { factoryTalkDescription } from './description';
import { FactoryTalkAdapter } from './adapter';
import { parseFactoryTalkConfig, type FactoryTalkConfig } from './config';
import { factoryTalkSimulatorDefinition } from './simulator';

export { FactoryTalkAdapter } from './adapter';
export { factoryTalkDescription } from './description';
export { parseFactoryTalkConfig, type FactoryTalkConfig } from './config';

/** Rockwell FactoryTalk ProductionCentre, as registered in `TARGET_DEFINITIONS`. */
export const factoryTalkTarget: TargetDefinition<FactoryTalkConfig> = defineTarget({
  description: factoryTalkDescription,
  parseConfig: (raw) => parseFactoryTalkConfig(raw),
  create: (instance, config) => new FactoryTalkAdapter(instance, config),
  simulator: factoryTalkSimulatorDefinition,
});
