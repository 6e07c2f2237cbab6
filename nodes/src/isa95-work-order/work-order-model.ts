import {
  hierarchyScope,
  propertyElements,
  quantityElement,
  readHierarchyScope,
  readPropertyElements,
  readQuantity,
  textOf,
} from '../lib/b2mml';
import { mergeEquipmentPath, type Isa95ObjectModel, type Isa95WorkOrder } from '../lib/isa95';
import { ISSUE_CODES, IssueList, isPlainObject, isoTime, num, scalarMap, text } from '../lib/validation';

function first(value: unknown): Record<string, unknown> | undefined {
  const item = Array.isArray(value) ? (value[0] as unknown) : value;
  return isPlainObject(item) ? item : undefined;
}

/** ISA-95 work order ↔ B2MML V0700 `JobOrder` (equipment and produced-material requirements). */
export const workOrderModel: Isa95ObjectModel<Isa95WorkOrder> = {
  objectType: 'work-order',
  element: 'JobOrder',
  fields: [
    'id',
    'description',
    'workMasterId',
    'priority',
    'dispatchStatus',
    'quantity',
    'unit',
    'startTime',
    'endTime',
    'workCenter',
    'parameters',
  ],

  validate(raw, hierarchy) {
    const issues = new IssueList();
    const id = text(issues, raw.id, '$.id', true) ?? '';
    const equipment = mergeEquipmentPath(hierarchy, raw.equipment);
    const quantity = num(issues, raw.quantity, '$.quantity', false, { min: 0 });
    const unit = text(issues, raw.unit, '$.unit', false, 32);
    if (quantity !== undefined && unit === undefined && !issues.issues.some((i) => i.path === '$.unit')) {
      issues.add(ISSUE_CODES.required, '$.unit', 'is required when a quantity is given');
    }
    const startTime = isoTime(issues, raw.startTime, '$.startTime', false);
    const endTime = isoTime(issues, raw.endTime, '$.endTime', false);
    if (startTime && endTime && endTime < startTime) {
      issues.add(ISSUE_CODES.outOfRange, '$.endTime', `must not be before startTime (${startTime}), got ${endTime}`);
    }
    const object: Isa95WorkOrder = {
      type: 'work-order',
      id,
      description: text(issues, raw.description, '$.description', false, 1024),
      workMasterId: text(issues, raw.workMasterId, '$.workMasterId', false),
      priority: num(issues, raw.priority, '$.priority', false, { min: 0, integer: true }),
      dispatchStatus: text(issues, raw.dispatchStatus, '$.dispatchStatus', false, 64),
      quantity,
      unit,
      startTime,
      endTime,
      workCenter: text(issues, raw.workCenter, '$.workCenter', false) ?? equipment?.workCenter,
      parameters: scalarMap(issues, raw.parameters, '$.parameters') ?? {},
      equipment,
    };
    return issues.result(object);
  },

  toB2mml(o) {
    return {
      ID: o.id,
      Description: o.description,
      HierarchyScope: hierarchyScope(o.equipment),
      WorkMasterID: o.workMasterId,
      StartTime: o.startTime,
      EndTime: o.endTime,
      Priority: o.priority === undefined ? undefined : String(o.priority),
      JobOrderParameter: propertyElements(o.parameters),
      DispatchStatus: o.dispatchStatus,
      EquipmentRequirement:
        o.workCenter === undefined ? undefined : [{ EquipmentID: o.workCenter, EquipmentLevel: 'WorkCenter' }],
      MaterialRequirement:
        o.quantity === undefined
          ? undefined
          : { MaterialUse: 'Produced', Quantity: quantityElement(o.quantity, o.unit) },
    };
  },

  fromB2mml(c) {
    const material = first(c.MaterialRequirement);
    const { quantity, unit } = readQuantity(material?.Quantity);
    return {
      id: textOf(c.ID),
      description: textOf(c.Description),
      equipment: readHierarchyScope(c.HierarchyScope),
      workMasterId: textOf(c.WorkMasterID),
      startTime: textOf(c.StartTime),
      endTime: textOf(c.EndTime),
      priority: textOf(c.Priority),
      parameters: readPropertyElements(c.JobOrderParameter),
      dispatchStatus: textOf(c.DispatchStatus),
      workCenter: textOf(first(c.EquipmentRequirement)?.EquipmentID),
      quantity,
      unit,
    };
  },
};
