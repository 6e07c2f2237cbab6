import type { EquipmentPath, Isa95ObjectType, ValidationResult } from '@loopgate/contracts';

/** A value of a property or parameter as B2MML carries it. */
export type Isa95Value = string | number | boolean;

/** B2MML data types the palette reads and writes. */
export const B2MML_DATA_TYPES = ['string', 'double', 'integer', 'boolean'] as const;
export type B2mmlDataType = (typeof B2MML_DATA_TYPES)[number];

/** B2MML V0700 EquipmentElementLevel values. */
export const EQUIPMENT_LEVELS = [
  'Enterprise',
  'Site',
  'Area',
  'ProcessCell',
  'Unit',
  'ProductionLine',
  'WorkCell',
  'ProductionUnit',
  'StorageZone',
  'StorageUnit',
  'WorkCenter',
  'WorkUnit',
  'EquipmentModule',
  'ControlModule',
  'Other',
] as const;
export type EquipmentLevel = (typeof EQUIPMENT_LEVELS)[number];

interface Isa95ObjectBase {
  type: Isa95ObjectType;
  /** The object's id in the MES. */
  id: string;
  description?: string;
  /** Where the object sits in the plant, from the hierarchy config node or the B2MML HierarchyScope. */
  equipment?: EquipmentPath;
}

export interface Isa95Equipment extends Isa95ObjectBase {
  type: 'equipment';
  level: EquipmentLevel;
  equipmentClass?: string;
  properties: Record<string, Isa95Value>;
}

export interface Isa95MaterialLot extends Isa95ObjectBase {
  type: 'material-lot';
  materialDefinitionId: string;
  status?: string;
  quantity?: number;
  unit?: string;
  storageLocation?: string;
  properties: Record<string, Isa95Value>;
}

/** A work order, which B2MML V0700 calls a job order. */
export interface Isa95WorkOrder extends Isa95ObjectBase {
  type: 'work-order';
  workMasterId?: string;
  priority?: number;
  dispatchStatus?: string;
  quantity?: number;
  unit?: string;
  startTime?: string;
  endTime?: string;
  /** The work center the order is planned on (its equipment requirement). */
  workCenter?: string;
  parameters: Record<string, Isa95Value>;
}

/** One parameter of a recipe or process segment, e.g. `FeedRate` of `CNC_Cell_01/OP20`. */
export interface Isa95RecipeParameter extends Isa95ObjectBase {
  type: 'recipe-parameter';
  parameter: string;
  value: Isa95Value;
  dataType: B2mmlDataType;
  unit?: string;
}

export type Isa95Object = Isa95Equipment | Isa95MaterialLot | Isa95WorkOrder | Isa95RecipeParameter;

/**
 * `msg.isa95`: one typed object per kind, so an equipment node followed by a work order node
 * leaves both in the message for rules and output nodes.
 */
export interface Isa95Context {
  equipment?: Isa95Equipment;
  materialLot?: Isa95MaterialLot;
  workOrder?: Isa95WorkOrder;
  recipeParameter?: Isa95RecipeParameter;
}

/** Where each object type lives in `msg.isa95`. */
export const ISA95_CONTEXT_KEYS = {
  equipment: 'equipment',
  'material-lot': 'materialLot',
  'work-order': 'workOrder',
  'recipe-parameter': 'recipeParameter',
} as const satisfies Record<Isa95ObjectType, keyof Isa95Context>;

/** One ISA-95 object type: its fields, its validation and its B2MML V0700 mapping. */
export interface Isa95ObjectModel<T extends Isa95Object> {
  objectType: T['type'];
  /** The B2MML element, e.g. `MaterialLot`. */
  element: string;
  /** Fields the edit dialog maps from the message, in display order. */
  fields: readonly string[];
  /** Raw values (from the message or from XML) → the typed object, or issues with paths. */
  validate(raw: Record<string, unknown>, hierarchy?: EquipmentPath): ValidationResult<T>;
  /** The object → the B2MML element's content (without the namespace). */
  toB2mml(object: T): Record<string, unknown>;
  /** The B2MML element's content → raw values for `validate`. */
  fromB2mml(content: Record<string, unknown>): Record<string, unknown>;
}

/** Node properties that would clash with Node-RED's own (`id`, the editor's `status`) get other names. */
const CONFIG_NAMES: Readonly<Record<string, string>> = { id: 'objectId', status: 'lotStatus' };

/** The node property (and its `…Type`) that maps a field: `id` → `objectId`, `status` → `lotStatus`, others unchanged. */
export function configPropertyOf(field: string): string {
  return CONFIG_NAMES[field] ?? field;
}

const PATH_KEYS = ['enterprise', 'site', 'area', 'workCenter', 'workUnit', 'equipmentClass'] as const;

/**
 * The object's place in the plant: the hierarchy config node's path, overridden level by level
 * by a path the message or the B2MML HierarchyScope carries. Non-text levels are ignored.
 */
export function mergeEquipmentPath(
  fromConfig: EquipmentPath | undefined,
  fromMessage: unknown,
): EquipmentPath | undefined {
  const merged: EquipmentPath = { ...fromConfig };
  if (typeof fromMessage === 'object' && fromMessage !== null) {
    for (const key of PATH_KEYS) {
      const value = (fromMessage as Record<string, unknown>)[key];
      if (typeof value === 'string' && value.trim() !== '') merged[key] = value.trim();
    }
  }
  return Object.keys(merged).length === 0 ? undefined : merged;
}
