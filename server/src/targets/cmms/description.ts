import type { TargetDescription } from '@loopgate/contracts';
import { updateWorkOrderStatus } from '../actions';

/** A CMMS (maintenance management, Maximo-style), described once. */
export const cmmsDescription: TargetDescription = {
  kind: 'cmms',
  label: 'CMMS',
  system: 'the CMMS (maintenance)',
  nodeType: 'cmms-out',
  paletteLabel: 'cmms',
  exampleInstance: 'cmms-demo',
  parameterLabel: 'Parameter',
  actions: [
    {
      action: 'create-maintenance-work-order',
      label: 'Create maintenance work order',
      objectTypes: ['equipment'],
      needsParameter: false,
      needsValue: false,
      details: [
        { name: 'description', label: 'Description (default: the reason)', required: false, kind: 'text' },
        { name: 'priority', label: 'Priority (1 = highest)', required: false, kind: 'number' },
        { name: 'worktype', label: 'Work type (e.g. PM, CM)', required: false, kind: 'text' },
      ],
      help: 'for an asset (equipment) with `description` (else the reason), optional `priority` (1 = highest) and `worktype`',
    },
    updateWorkOrderStatus('a maintenance work order (`status`)', 'Update maintenance work order status'),
  ],
  capabilities: { readBack: true, locks: false, idempotentCreate: true, eventLog: true },
  notes: 'Creates carry the request id as external reference, so a retried create is found instead of duplicated.',
};
