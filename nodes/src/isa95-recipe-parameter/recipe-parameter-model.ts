import { dataTypeOf, hierarchyScope, readHierarchyScope, readValue, textOf, valueElement } from '../lib/b2mml';
import {
  B2MML_DATA_TYPES,
  mergeEquipmentPath,
  type Isa95ObjectModel,
  type Isa95RecipeParameter,
  type Isa95Value,
} from '../lib/isa95';
import { ISSUE_CODES, IssueList, isPlainObject, num, oneOf, text } from '../lib/validation';

/** Checks the value against the declared data type; numeric text is accepted for numbers. */
function typedValue(
  issues: IssueList,
  raw: unknown,
  dataType: string | undefined,
): { value?: Isa95Value; dataType?: Isa95RecipeParameter['dataType'] } {
  if (raw === undefined || raw === null || raw === '') {
    issues.add(ISSUE_CODES.required, '$.value', 'is required');
    return {};
  }
  const declared =
    dataType === undefined || dataType === ''
      ? undefined
      : oneOf(issues, dataType, '$.dataType', B2MML_DATA_TYPES, true);
  if (dataType !== undefined && dataType !== '' && declared === undefined) return {};
  switch (declared) {
    case 'double':
      return { value: num(issues, raw, '$.value', true), dataType: declared };
    case 'integer':
      return { value: num(issues, raw, '$.value', true, { integer: true }), dataType: declared };
    case 'boolean':
      if (typeof raw === 'boolean') return { value: raw, dataType: declared };
      if (raw === 'true' || raw === 'false') return { value: raw === 'true', dataType: declared };
      issues.add(ISSUE_CODES.typeMismatch, '$.value', `must be true or false, got ${JSON.stringify(raw)}`);
      return {};
    case 'string':
      return { value: text(issues, raw, '$.value', true, 1024), dataType: declared };
    default:
      if (typeof raw === 'number' && !Number.isFinite(raw)) {
        issues.add(ISSUE_CODES.typeMismatch, '$.value', `must be a finite number, got ${raw}`);
        return {};
      }
      if (typeof raw === 'number' || typeof raw === 'boolean') return { value: raw, dataType: dataTypeOf(raw) };
      if (typeof raw === 'string') return { value: text(issues, raw, '$.value', true, 1024), dataType: 'string' };
      issues.add(
        ISSUE_CODES.typeMismatch,
        '$.value',
        `must be text, a number or a boolean, got ${Array.isArray(raw) ? 'an array' : typeof raw}`,
      );
      return {};
  }
}

/** One recipe / process segment parameter ↔ B2MML V0700 `ProcessSegment` with one `Parameter`. */
export const recipeParameterModel: Isa95ObjectModel<Isa95RecipeParameter> = {
  objectType: 'recipe-parameter',
  element: 'ProcessSegment',
  fields: ['id', 'description', 'parameter', 'value', 'dataType', 'unit'],

  validate(raw, hierarchy) {
    const issues = new IssueList();
    const id = text(issues, raw.id, '$.id', true) ?? '';
    const parameter = text(issues, raw.parameter, '$.parameter', true, 128) ?? '';
    const typed = typedValue(issues, raw.value, typeof raw.dataType === 'string' ? raw.dataType : undefined);
    const object: Isa95RecipeParameter = {
      type: 'recipe-parameter',
      id,
      description: text(issues, raw.description, '$.description', false, 1024),
      parameter,
      value: typed.value ?? '',
      dataType: typed.dataType ?? 'string',
      unit: text(issues, raw.unit, '$.unit', false, 32),
      equipment: mergeEquipmentPath(hierarchy, raw.equipment),
    };
    return issues.result(object);
  },

  toB2mml(o) {
    return {
      ID: o.id,
      Description: o.description,
      HierarchyScope: hierarchyScope(o.equipment),
      Parameter: [{ ID: o.parameter, Value: valueElement(o.value, o.dataType, o.unit) }],
    };
  },

  fromB2mml(c) {
    const parameters = Array.isArray(c.Parameter) ? c.Parameter.filter(isPlainObject) : [];
    const parameter = parameters[0];
    const { value, dataType, unit } = readValue(parameter?.Value);
    return {
      id: textOf(c.ID),
      description: textOf(c.Description),
      equipment: readHierarchyScope(c.HierarchyScope),
      parameter: textOf(parameter?.ID),
      value,
      dataType,
      unit,
    };
  },
};
