import type { FactType, RuleEvent, TargetDescription, ValidationIssue } from '@loopgate/contracts';
import { isPlainObject, propertyPath } from './json-path';

/**
 * Every target kind's actions, by kind, as the targets' descriptions declare them: the gateway and
 * the console pass in `TARGET_CATALOGUE`.
 */
export type ActionCatalogue = Readonly<Record<string, Pick<TargetDescription, 'label' | 'actions'>>>;

/** The event type a Loopgate output node turns into a write-back request. */
export const WRITE_BACK_EVENT = 'writeback';

/** Numbers, booleans and text are what a write-back can carry (`ParameterValue`). */
const SCALAR_TYPES: readonly string[] = ['number', 'string', 'boolean'];
/** An arithmetic operator between two operands: a formula typed as text, not a value. */
const FORMULA = /[\w)\]]\s*[*/+-]\s*[\w(]/u;

type FactTypes = ReadonlyMap<string, FactType | 'number' | 'string' | 'boolean'>;

function reference(value: unknown): { fact: string; path?: string } | undefined {
  return isPlainObject(value) && typeof value.fact === 'string'
    ? (value as { fact: string; path?: string })
    : undefined;
}

/**
 * Checks a write-back event against the target's action catalogue: the action and target kind
 * are given and the target offers the action; the object type fits; the action's required fields
 * (parameter, value, required details) are present; a value is a number, boolean, text or a fact
 * of such a type, and a number field is not given text. A formula typed as text
 * (`"feedRate * 0.95"`) is refused with a pointer to derived facts.
 *
 * @example checkWriteBackEvent({ type: 'writeback', params: {} }, '$.rules[0].event', TARGET_CATALOGUE, facts)
 * // [{ code: 'REQUIRED', path: '$.rules[0].event.params.action', … }, { code: 'REQUIRED', path: '….targetKind', … }]
 */
export function checkWriteBackEvent(
  event: RuleEvent,
  path: string,
  catalogue: ActionCatalogue,
  facts: FactTypes,
): ValidationIssue[] {
  if (event.type !== WRITE_BACK_EVENT) return [];
  const issues: ValidationIssue[] = [];
  const add = (code: string, p: string, message: string) => issues.push({ code, path: p, message });
  const paramsPath = propertyPath(path, 'params');
  const params = (event.params ?? {}) as Record<string, unknown>;
  const at = (key: string) => propertyPath(paramsPath, key);
  const present = (key: string) => params[key] !== undefined && params[key] !== null && params[key] !== '';

  if (!present('action')) add('REQUIRED', at('action'), 'a write-back names its action (e.g. set-parameter)');
  if (!present('targetKind'))
    add('REQUIRED', at('targetKind'), `a write-back names its target (${Object.keys(catalogue).join(', ')})`);
  const target = typeof params.targetKind === 'string' ? catalogue[params.targetKind] : undefined;
  if (!target) return issues;
  const action = target.actions.find((a) => a.action === params.action);
  if (!action) {
    if (present('action'))
      add(
        'ACTION_NOT_OFFERED',
        at('action'),
        `${target.label ?? params.targetKind} offers ${target.actions.map((a) => a.action).join(', ')}, not "${String(params.action)}"`,
      );
    return issues;
  }
  if (present('objectType') && !(action.objectTypes as readonly unknown[]).includes(params.objectType)) {
    add(
      'INVALID_VALUE',
      at('objectType'),
      `${action.action} acts on ${action.objectTypes.join(', ')}, not "${String(params.objectType)}"`,
    );
  }
  const scalar = (key: string, kind: 'number' | 'text' | 'any', label: string) => {
    const value = params[key];
    const ref = reference(value);
    if (ref) {
      const type = ref.path ? undefined : facts.get(ref.fact);
      if (type && !SCALAR_TYPES.includes(type))
        add('INVALID_TYPE', at(key), `${label} must be a number, text or true/false; fact "${ref.fact}" is ${type}`);
      else if (type && kind === 'number' && type !== 'number')
        add('INVALID_TYPE', at(key), `${label} is a number; fact "${ref.fact}" is ${type}`);
      return;
    }
    if (typeof value === 'string' && FORMULA.test(value) && [...facts.keys()].some((f) => value.includes(f))) {
      add(
        'VALUE_IS_FORMULA',
        at(key),
        `${label} "${value}" would be written as this text; compute it as a derived fact and use that fact`,
      );
      return;
    }
    const type = typeof value;
    if (
      kind === 'number' &&
      !(type === 'number' || (type === 'string' && value !== '' && Number.isFinite(Number(value))))
    )
      add('INVALID_TYPE', at(key), `${label} is a number, got ${JSON.stringify(value)}`);
    else if (!SCALAR_TYPES.includes(type) || (type === 'number' && !Number.isFinite(value as number)))
      add('INVALID_TYPE', at(key), `${label} must be a number, text or true/false, got ${JSON.stringify(value)}`);
  };
  if (action.needsParameter) {
    if (!present('parameter')) add('REQUIRED', at('parameter'), `${action.action} names the parameter to write`);
    else if (typeof params.parameter !== 'string' && !reference(params.parameter))
      add('INVALID_TYPE', at('parameter'), 'parameter is a name (text)');
  }
  if (action.needsValue) {
    if (!present('value')) add('REQUIRED', at('value'), `${action.action} needs the value to write`);
    else scalar('value', 'any', 'value');
  }
  for (const field of action.details) {
    const label = field.label ?? field.name;
    if (!present(field.name)) {
      if (field.required && !(field.orValue && present('value')))
        add('REQUIRED', at(field.name), `${action.action} needs ${label} (${field.name})`);
      continue;
    }
    scalar(field.name, field.kind, label);
  }
  return issues;
}
