import type { TargetDescription } from '@loopgate/contracts';
import { rerouteWorkOrder, setParameter, updateWorkOrderStatus } from '../actions';

/** Rockwell FactoryTalk ProductionCentre, described once. */
export const factoryTalkDescription: TargetDescription = {
  kind: 'factorytalk',
  label: 'Rockwell FactoryTalk ProductionCentre',
  system: 'Rockwell FactoryTalk ProductionCentre',
  nodeType: 'factorytalk-out',
  paletteLabel: 'factorytalk',
  exampleInstance: 'factorytalk-demo',
  parameterLabel: 'Recipe parameter',
  actions: [
    rerouteWorkOrder('to another work center (`workCenter`, optional `operations`)'),
    updateWorkOrderStatus(),
    setParameter(['recipe-parameter'], 'a recipe parameter through RecipeManagement'),
  ],
  // ProductionCentre locks the whole recipe or work order, not one parameter.
  capabilities: { readBack: true, locks: true, lockScope: 'object', idempotentCreate: false, eventLog: true },
  notes:
    'ProductionCentre needs a lock before an in-progress work order is changed; the gateway acquires and releases it ' +
    'and retries a lock held by an operator console, reporting `LOCK_UNAVAILABLE` when it cannot.',
};
