import {
  hierarchyScope,
  propertyElements,
  quantityElement,
  readHierarchyScope,
  readPropertyElements,
  readQuantity,
  textOf,
} from '../lib/b2mml';
import { mergeEquipmentPath, type Isa95MaterialLot, type Isa95ObjectModel } from '../lib/isa95';
import { ISSUE_CODES, IssueList, num, scalarMap, text } from '../lib/validation';

/** ISA-95 material lot ↔ B2MML V0700 `MaterialLot`. */
export const materialLotModel: Isa95ObjectModel<Isa95MaterialLot> = {
  objectType: 'material-lot',
  element: 'MaterialLot',
  fields: ['id', 'description', 'materialDefinitionId', 'status', 'quantity', 'unit', 'storageLocation', 'properties'],

  validate(raw, hierarchy) {
    const issues = new IssueList();
    const id = text(issues, raw.id, '$.id', true) ?? '';
    const quantity = num(issues, raw.quantity, '$.quantity', false, { min: 0 });
    const unit = text(issues, raw.unit, '$.unit', false, 32);
    if (quantity !== undefined && unit === undefined && !issues.issues.some((i) => i.path === '$.unit')) {
      issues.add(ISSUE_CODES.required, '$.unit', 'is required when a quantity is given');
    }
    const object: Isa95MaterialLot = {
      type: 'material-lot',
      id,
      description: text(issues, raw.description, '$.description', false, 1024),
      materialDefinitionId: text(issues, raw.materialDefinitionId, '$.materialDefinitionId', true) ?? '',
      status: text(issues, raw.status, '$.status', false, 64),
      quantity,
      unit,
      storageLocation: text(issues, raw.storageLocation, '$.storageLocation', false),
      properties: scalarMap(issues, raw.properties, '$.properties') ?? {},
      equipment: mergeEquipmentPath(hierarchy, raw.equipment),
    };
    return issues.result(object);
  },

  toB2mml(o) {
    return {
      ID: o.id,
      Description: o.description,
      HierarchyScope: hierarchyScope(o.equipment),
      MaterialDefinitionID: o.materialDefinitionId,
      Status: o.status,
      MaterialLotProperty: propertyElements(o.properties),
      StorageLocation: o.storageLocation,
      Quantity: quantityElement(o.quantity, o.unit),
    };
  },

  fromB2mml(c) {
    const { quantity, unit } = readQuantity(c.Quantity);
    return {
      id: textOf(c.ID),
      description: textOf(c.Description),
      equipment: readHierarchyScope(c.HierarchyScope),
      materialDefinitionId: textOf(c.MaterialDefinitionID),
      status: textOf(c.Status),
      properties: readPropertyElements(c.MaterialLotProperty),
      storageLocation: textOf(c.StorageLocation),
      quantity,
      unit,
    };
  },
};
