import type { TargetDescription } from '@loopgate/contracts';
import { holdLot, releaseLot, updateWorkOrderStatus } from '../actions';

/** SAP Digital Manufacturing (its public REST APIs' style), described once. */
export const sapDmDescription: TargetDescription = {
  kind: 'sapdm',
  label: 'SAP Digital Manufacturing',
  system: 'SAP Digital Manufacturing',
  nodeType: 'sapdm-out',
  paletteLabel: 'sap dm',
  exampleInstance: 'sapdm-demo',
  parameterLabel: 'Parameter',
  actions: [
    {
      ...holdLot('an SFC (shop floor control: the lot or unit in production; optional QA `comment`)'),
      label: 'Hold SFC',
    },
    {
      ...releaseLot('an SFC on hold, back into the queue of its operation (optional `comment`)'),
      label: 'Release SFC',
    },
    updateWorkOrderStatus('a production order (`status`: RELEASED, ACTIVE, HOLD, DONE …)'),
    {
      action: 'create-quality-event',
      label: 'Log nonconformance',
      objectTypes: ['material-lot'],
      needsParameter: false,
      needsValue: false,
      details: [
        { name: 'description', label: 'Description (default: the reason)', required: false, kind: 'text' },
        { name: 'code', label: 'Nonconformance code (default LOOPGATE)', required: false, kind: 'text' },
      ],
      help: 'a nonconformance on an SFC (`description`, else the reason; optional `code`)',
    },
  ],
  capabilities: { readBack: true, locks: false, idempotentCreate: true, eventLog: false },
  notes:
    'SFCs are the lots and units Digital Manufacturing tracks through their routing; a held SFC is released back ' +
    'into the queue of its operation. Nonconformances carry the request id as reference, so a retried log is found ' +
    'instead of logged twice.',
};
