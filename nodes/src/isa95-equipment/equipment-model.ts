import { hierarchyScope, propertyElements, readHierarchyScope, readPropertyElements, textOf } from '../lib/b2mml';
import { EQUIPMENT_LEVELS, mergeEquipmentPath, type Isa95Equipment, type Isa95ObjectModel } from '../lib/isa95';
import { IssueList, oneOf, scalarMap, text } from '../lib/validation';

/** ISA-95 equipment ↔ B2MML V0700 `Equipment`. */
export const equipmentModel: Isa95ObjectModel<Isa95Equipment> = {
  objectType: 'equipment',
  element: 'Equipment',
  fields: ['id', 'description', 'level', 'equipmentClass', 'properties'],

  validate(raw, hierarchy) {
    const issues = new IssueList();
    const equipment = mergeEquipmentPath(hierarchy, raw.equipment);
    const object: Isa95Equipment = {
      type: 'equipment',
      id: text(issues, raw.id, '$.id', true) ?? '',
      description: text(issues, raw.description, '$.description', false, 1024),
      level:
        oneOf(
          issues,
          raw.level === undefined || raw.level === '' ? 'WorkUnit' : raw.level,
          '$.level',
          EQUIPMENT_LEVELS,
          true,
        ) ?? 'WorkUnit',
      equipmentClass: text(issues, raw.equipmentClass, '$.equipmentClass', false) ?? equipment?.equipmentClass,
      properties: scalarMap(issues, raw.properties, '$.properties') ?? {},
      equipment,
    };
    return issues.result(object);
  },

  toB2mml(o) {
    return {
      ID: o.id,
      Description: o.description,
      HierarchyScope: hierarchyScope(o.equipment),
      EquipmentLevel: o.level,
      EquipmentProperty: propertyElements(o.properties),
      EquipmentClassID: o.equipmentClass,
    };
  },

  fromB2mml(c) {
    return {
      id: textOf(c.ID),
      description: textOf(c.Description),
      equipment: readHierarchyScope(c.HierarchyScope),
      level: textOf(c.EquipmentLevel),
      properties: readPropertyElements(c.EquipmentProperty),
      equipmentClass: textOf(c.EquipmentClassID),
    };
  },
};
