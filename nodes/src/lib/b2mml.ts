import type { EquipmentPath, ValidationResult } from '@loopgate/contracts';
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import type { B2mmlDataType, EquipmentLevel, Isa95Value } from './isa95';
import { ISSUE_CODES, isPlainObject } from './validation';

/** The B2MML namespace (MESA), used by V0700 documents. */
export const B2MML_NS = 'http://www.mesa.org/xml/B2MML';
export const B2MML_VERSION = 'V0700';

/** Elements that may repeat; the parser always returns them as arrays. */
const REPEATED = new Set([
  'EquipmentProperty',
  'MaterialLotProperty',
  'JobOrderParameter',
  'Parameter',
  'Value',
  'EquipmentRequirement',
]);

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
});

function parser(removeNSPrefix: boolean): XMLParser {
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: true,
    isArray: (name) => REPEATED.has(name),
  });
}

/** Drops `undefined` fields so the builder writes no empty elements. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = clean(v);
  return out;
}

/**
 * Writes one B2MML element as a standalone document in the B2MML namespace.
 *
 * @example
 * toB2mmlDocument('MaterialLot', { ID: 'LOT-1', MaterialDefinitionID: 'STEEL' })
 * // <?xml version="1.0" encoding="UTF-8"?><MaterialLot xmlns="http://www.mesa.org/xml/B2MML">…
 */
export function toB2mmlDocument(element: string, content: Record<string, unknown>): string {
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    [element]: { '@_xmlns': B2MML_NS, ...(clean(content) as Record<string, unknown>) },
  }) as string;
}

/**
 * Reads one B2MML element from a document: either the document's root, or the element inside
 * the `DataArea` of a verb/noun message such as `SyncMaterialLot`. The root must be in the
 * B2MML namespace.
 */
export function fromB2mmlDocument(xml: unknown, element: string): ValidationResult<Record<string, unknown>> {
  const fail = (message: string, path = '$') => ({
    success: false as const,
    issues: [{ code: ISSUE_CODES.invalidXml, path, message }],
  });
  const source = Buffer.isBuffer(xml) ? xml.toString('utf8') : xml;
  if (typeof source !== 'string' || source.trim() === '') return fail(`expected B2MML XML text, got ${typeof source}`);
  const valid = XMLValidator.validate(source);
  if (valid !== true) return fail(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);

  const raw = parser(false).parse(source) as Record<string, unknown>;
  const rootName = Object.keys(raw).find((k) => !k.startsWith('?'));
  if (!rootName) return fail('document has no root element');
  const root = raw[rootName] as Record<string, unknown>;
  const [prefix, local] = rootName.includes(':') ? rootName.split(':', 2) : [undefined, rootName];
  const namespace = isPlainObject(root) ? root[prefix ? `@_xmlns:${prefix}` : '@_xmlns'] : undefined;
  if (namespace !== B2MML_NS) {
    return fail(
      `root element ${local} must be in namespace ${B2MML_NS}, got ${namespace === undefined ? 'none' : String(namespace)}`,
    );
  }

  const doc = parser(true).parse(source) as Record<string, unknown>;
  const top = doc[local] as unknown;
  let content: unknown;
  if (local === element) content = top;
  else if (isPlainObject(top) && isPlainObject(top.DataArea)) content = top.DataArea[element];
  if (Array.isArray(content)) {
    if (content.length !== 1) return fail(`expected one ${element}, found ${content.length}`, '$.DataArea');
    content = content[0];
  }
  if (content === undefined)
    return fail(`expected a ${element} element (or a message whose DataArea holds one), found ${local}`);
  return { success: true, value: isPlainObject(content) ? content : {} };
}

/** Text of a simple element; absent, empty and nested elements read as `undefined`. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (isPlainObject(value) && typeof value['#text'] === 'string') return value['#text'];
  return undefined;
}

export function dataTypeOf(value: Isa95Value): B2mmlDataType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'double';
  return 'string';
}

/** A B2MML `Value` (ValueString, DataType, UnitOfMeasure). */
export function valueElement(
  value: Isa95Value,
  dataType: B2mmlDataType = dataTypeOf(value),
  unit?: string,
): Record<string, unknown> {
  return { ValueString: String(value), DataType: dataType, UnitOfMeasure: unit };
}

/** Reads a B2MML `Value`, typed by its DataType: numbers and booleans come back as such. */
export function readValue(value: unknown): { value?: Isa95Value; dataType?: string; unit?: string } {
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  if (!isPlainObject(first)) return {};
  const text = textOf(first.ValueString);
  const dataType = textOf(first.DataType);
  const unit = textOf(first.UnitOfMeasure);
  if (text === undefined) return { dataType, unit };
  if (
    (dataType === 'double' || dataType === 'integer' || dataType === 'float' || dataType === 'decimal') &&
    text.trim() !== ''
  ) {
    const n = Number(text);
    return { value: Number.isFinite(n) ? n : text, dataType, unit };
  }
  if (dataType === 'boolean' && (text === 'true' || text === 'false'))
    return { value: text === 'true', dataType, unit };
  return { value: text, dataType, unit };
}

/** A list of `{ ID, Value }` elements (EquipmentProperty, MaterialLotProperty, JobOrderParameter). */
export function propertyElements(map: Record<string, Isa95Value> | undefined): Record<string, unknown>[] | undefined {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? undefined : entries.map(([id, v]) => ({ ID: id, Value: valueElement(v) }));
}

export function readPropertyElements(list: unknown): Record<string, Isa95Value> | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Record<string, Isa95Value> = {};
  for (const item of list) {
    if (!isPlainObject(item)) continue;
    const id = textOf(item.ID);
    const { value } = readValue(item.Value);
    if (id !== undefined && value !== undefined) out[id] = value;
  }
  return out;
}

/** A B2MML `Quantity` (QuantityString, DataType, UnitOfMeasure). */
export function quantityElement(
  quantity: number | undefined,
  unit: string | undefined,
): Record<string, unknown> | undefined {
  if (quantity === undefined) return undefined;
  return { QuantityString: String(quantity), DataType: dataTypeOf(quantity), UnitOfMeasure: unit };
}

export function readQuantity(value: unknown): { quantity?: string; unit?: string } {
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  if (!isPlainObject(first)) return {};
  return { quantity: textOf(first.QuantityString), unit: textOf(first.UnitOfMeasure) };
}

const SCOPE_LEVELS: [keyof EquipmentPath, EquipmentLevel][] = [
  ['enterprise', 'Enterprise'],
  ['site', 'Site'],
  ['area', 'Area'],
  ['workCenter', 'WorkCenter'],
  ['workUnit', 'WorkUnit'],
];

/** The equipment path as a nested B2MML `HierarchyScope`, enterprise outermost. */
export function hierarchyScope(path: EquipmentPath | undefined): Record<string, unknown> | undefined {
  if (!path) return undefined;
  let scope: Record<string, unknown> | undefined;
  for (const [key, level] of [...SCOPE_LEVELS].reverse()) {
    const id = path[key];
    if (id === undefined) continue;
    scope = { EquipmentID: id, EquipmentElementLevel: level, HierarchyScope: scope };
  }
  return scope;
}

export function readHierarchyScope(scope: unknown): EquipmentPath | undefined {
  const path: EquipmentPath = {};
  let current = scope;
  while (isPlainObject(current)) {
    const id = textOf(current.EquipmentID);
    const level = textOf(current.EquipmentElementLevel);
    const entry = SCOPE_LEVELS.find(([, l]) => l === level);
    if (id !== undefined && entry) path[entry[0]] = id;
    current = current.HierarchyScope;
  }
  return Object.keys(path).length === 0 ? undefined : path;
}
