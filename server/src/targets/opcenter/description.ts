import type { TargetDescription } from '@loopgate/contracts';
import { holdLot, releaseLot, rerouteWorkOrder, setParameter, updateWorkOrderStatus } from '../actions';

/** Siemens Opcenter Execution, described once: what it offers and what the gateway may rely on. */
export const opcenterDescription: TargetDescription = {
  kind: 'opcenter',
  label: 'Siemens Opcenter',
  system: 'Siemens Opcenter Execution',
  nodeType: 'opcenter-out',
  paletteLabel: 'opcenter',
  exampleInstance: 'opcenter-demo',
  parameterLabel: 'Recipe parameter',
  actions: [
    setParameter(['recipe-parameter'], 'a recipe parameter (e.g. `FeedRate` of `CNC_Cell_01/OP20`) to a value'),
    rerouteWorkOrder(
      'a work order to another work center (`workCenter`, optional `operations`: how many next operations)',
    ),
    holdLot('a material lot (optional QA `comment`, sent with the reason)'),
    releaseLot('a material lot (optional `comment`, sent with the reason)'),
    updateWorkOrderStatus(),
    {
      action: 'create-quality-event',
      label: 'Quality event',
      objectTypes: ['material-lot', 'work-order', 'equipment'],
      needsParameter: false,
      needsValue: false,
      details: [
        { name: 'description', label: 'Description (default: the reason)', required: false, kind: 'text' },
        { name: 'severity', label: 'Severity', required: false, kind: 'text' },
      ],
      help: 'for a lot, work order or equipment (`description`, else the reason; optional `severity`)',
    },
  ],
  capabilities: { readBack: true, locks: false, idempotentCreate: true, eventLog: true },
  notes:
    'Opcenter routes commands through its MOM service bus, which throttles bursts above about 20 transactions per ' +
    'second silently: the gateway rate-limits and confirms every write by reading it back.',
};
