import type { Isa95ObjectType, TargetKind, WriteBackAction } from '@loopgate/contracts';

/** An action-specific field that goes into `WriteBackRequest.details`. */
export interface DetailField {
  name: string;
  label: string;
  required: boolean;
  /** What the gateway expects; numeric text is accepted for numbers. */
  kind: 'text' | 'number';
}

/** One action a target offers, with the object types it acts on and the fields it needs. */
export interface ActionSpec {
  action: WriteBackAction;
  label: string;
  objectTypes: readonly Isa95ObjectType[];
  /** The action names a parameter (set-parameter) and writes a value. */
  needsParameter: boolean;
  needsValue: boolean;
  details: readonly DetailField[];
}

/** What an output node offers in its edit dialog for one kind of target. */
export interface TargetSpec {
  kind: TargetKind;
  label: string;
  nodeType: string;
  /** Instance name used in the examples, e.g. `opcenter-demo`. */
  exampleInstance: string;
  /** What "parameter" means at this target: a recipe parameter, an attribute, an OPC UA node id. */
  parameterLabel: string;
  actions: readonly ActionSpec[];
}

const setParameter = (objectTypes: readonly Isa95ObjectType[]): ActionSpec => ({
  action: 'set-parameter',
  label: 'Set parameter',
  objectTypes,
  needsParameter: true,
  needsValue: true,
  details: [],
});
const rerouteWorkOrder: ActionSpec = {
  action: 'reroute-work-order',
  label: 'Re-route work order',
  objectTypes: ['work-order'],
  needsParameter: false,
  needsValue: false,
  details: [
    { name: 'workCenter', label: 'Destination work center', required: true, kind: 'text' },
    { name: 'operations', label: 'Next operations to move', required: false, kind: 'number' },
  ],
};
const updateWorkOrderStatus = (label = 'Update work order status'): ActionSpec => ({
  action: 'update-work-order-status',
  label,
  objectTypes: ['work-order'],
  needsParameter: false,
  needsValue: false,
  details: [{ name: 'status', label: 'New status', required: true, kind: 'text' }],
});
const holdLot: ActionSpec = {
  action: 'hold-lot',
  label: 'Hold lot',
  objectTypes: ['material-lot'],
  needsParameter: false,
  needsValue: false,
  details: [{ name: 'comment', label: 'Comment for QA', required: false, kind: 'text' }],
};
const releaseLot: ActionSpec = {
  action: 'release-lot',
  label: 'Release lot',
  objectTypes: ['material-lot'],
  needsParameter: false,
  needsValue: false,
  details: [{ name: 'comment', label: 'Comment', required: false, kind: 'text' }],
};
const qualityEvent: ActionSpec = {
  action: 'create-quality-event',
  label: 'Quality event',
  objectTypes: ['material-lot', 'work-order', 'equipment'],
  needsParameter: false,
  needsValue: false,
  details: [
    { name: 'description', label: 'Description', required: true, kind: 'text' },
    { name: 'severity', label: 'Severity', required: false, kind: 'text' },
  ],
};
const maintenanceWorkOrder: ActionSpec = {
  action: 'create-maintenance-work-order',
  label: 'Create maintenance work order',
  objectTypes: ['equipment'],
  needsParameter: false,
  needsValue: false,
  details: [
    { name: 'description', label: 'Description', required: true, kind: 'text' },
    { name: 'priority', label: 'Priority (1 = highest)', required: false, kind: 'number' },
    { name: 'worktype', label: 'Work type (e.g. PM, CM)', required: false, kind: 'text' },
  ],
};

/**
 * Every target's actions and fields; the output nodes and their edit dialogs read this one list.
 * Detail names match what the gateway's adapters read (`details.workCenter`, `details.priority`, …).
 */
export const TARGETS: Readonly<Record<TargetKind, TargetSpec>> = {
  opcenter: {
    kind: 'opcenter',
    label: 'Siemens Opcenter',
    nodeType: 'opcenter-out',
    exampleInstance: 'opcenter-demo',
    parameterLabel: 'Recipe parameter',
    actions: [
      setParameter(['recipe-parameter']),
      rerouteWorkOrder,
      holdLot,
      releaseLot,
      updateWorkOrderStatus(),
      qualityEvent,
    ],
  },
  factorytalk: {
    kind: 'factorytalk',
    label: 'Rockwell FactoryTalk ProductionCentre',
    nodeType: 'factorytalk-out',
    exampleInstance: 'factorytalk-demo',
    parameterLabel: 'Recipe parameter',
    actions: [rerouteWorkOrder, updateWorkOrderStatus(), setParameter(['recipe-parameter'])],
  },
  aveva: {
    kind: 'aveva',
    label: 'AVEVA MES',
    nodeType: 'aveva-out',
    exampleInstance: 'aveva-demo',
    parameterLabel: 'Attribute',
    actions: [setParameter(['equipment', 'recipe-parameter']), holdLot, releaseLot, updateWorkOrderStatus()],
  },
  cmms: {
    kind: 'cmms',
    label: 'CMMS',
    nodeType: 'cmms-out',
    exampleInstance: 'cmms-demo',
    parameterLabel: 'Parameter',
    actions: [maintenanceWorkOrder, updateWorkOrderStatus('Update maintenance work order status')],
  },
  opcua: {
    kind: 'opcua',
    label: 'OPC UA setpoint',
    nodeType: 'opcua-setpoint-out',
    exampleInstance: 'opcua-demo',
    parameterLabel: 'Setpoint (name or OPC UA node id)',
    actions: [setParameter(['equipment', 'recipe-parameter'])],
  },
};

export function actionSpec(spec: TargetSpec, action: unknown): ActionSpec | undefined {
  return spec.actions.find((a) => a.action === action);
}
