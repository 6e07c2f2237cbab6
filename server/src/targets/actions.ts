import type { Isa95ObjectType, TargetActionDescription } from '@loopgate/contracts';

/*
 * The write-back actions as most targets offer them, for the targets' descriptions to pick from
 * (and adjust: a label, the object types, the help line). Browser-safe: types only.
 */

export const setParameter = (objectTypes: readonly Isa95ObjectType[], help: string): TargetActionDescription => ({
  action: 'set-parameter',
  label: 'Set parameter',
  objectTypes,
  needsParameter: true,
  needsValue: true,
  details: [],
  help,
});

export const rerouteWorkOrder = (help: string): TargetActionDescription => ({
  action: 'reroute-work-order',
  label: 'Re-route work order',
  objectTypes: ['work-order'],
  needsParameter: false,
  needsValue: false,
  details: [
    { name: 'workCenter', label: 'Destination work center', required: true, kind: 'text', orValue: true },
    { name: 'operations', label: 'Next operations to move', required: false, kind: 'number' },
  ],
  help,
});

export const updateWorkOrderStatus = (
  help = 'a work order (`status`)',
  label = 'Update work order status',
): TargetActionDescription => ({
  action: 'update-work-order-status',
  label,
  objectTypes: ['work-order'],
  needsParameter: false,
  needsValue: false,
  details: [{ name: 'status', label: 'New status', required: true, kind: 'text', orValue: true }],
  help,
});

export const holdLot = (help: string): TargetActionDescription => ({
  action: 'hold-lot',
  label: 'Hold lot',
  objectTypes: ['material-lot'],
  needsParameter: false,
  needsValue: false,
  details: [{ name: 'comment', label: 'Comment for QA', required: false, kind: 'text' }],
  help,
});

export const releaseLot = (help: string): TargetActionDescription => ({
  action: 'release-lot',
  label: 'Release lot',
  objectTypes: ['material-lot'],
  needsParameter: false,
  needsValue: false,
  details: [{ name: 'comment', label: 'Comment', required: false, kind: 'text' }],
  help,
});
