import type { TargetDescription } from '@loopgate/contracts';
import { holdLot, releaseLot, setParameter, updateWorkOrderStatus } from '../actions';

/** AVEVA MES, described once. */
export const avevaDescription: TargetDescription = {
  kind: 'aveva',
  label: 'AVEVA MES',
  system: 'AVEVA MES',
  nodeType: 'aveva-out',
  paletteLabel: 'aveva',
  exampleInstance: 'aveva-demo',
  parameterLabel: 'Attribute',
  actions: [
    setParameter(['equipment', 'recipe-parameter'], 'an attribute of equipment or a recipe parameter'),
    holdLot('a material lot (optional QA `comment`, sent with the reason)'),
    releaseLot('a material lot (optional `comment`, sent with the reason)'),
    updateWorkOrderStatus('a work order (`status`: its state)'),
  ],
  capabilities: { readBack: true, locks: false, idempotentCreate: false, eventLog: true },
  notes:
    'AVEVA writes land in the historian that feeds the production records, so applied write-backs appear there ' +
    'without a separate logging step.',
};
