import type { TargetDefinition } from '../adapter';
import { ACTIONS, FactoryTalkAdapter } from './adapter';
import { parseFactoryTalkConfig, type FactoryTalkConfig } from './config';
import { factoryTalkSimulatorDefinition } from './simulator';

export { FactoryTalkAdapter } from './adapter';
export { parseFactoryTalkConfig, type FactoryTalkConfig } from './config';

/** Rockwell FactoryTalk ProductionCentre, as registered in `TARGET_DEFINITIONS`. */
export const factoryTalkTarget: TargetDefinition<FactoryTalkConfig> = {
  kind: 'factorytalk',
  actions: ACTIONS,
  parseConfig: (raw) => parseFactoryTalkConfig(raw),
  create: (instance, config) => new FactoryTalkAdapter(instance, config),
  simulator: factoryTalkSimulatorDefinition,
};
