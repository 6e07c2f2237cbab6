import {
  DERIVED_FACT_TYPES,
  FACT_TYPES,
  TARGET_KINDS,
  WRITE_BACK_ACTIONS,
  type RuleSetFile,
  type ValidationIssue,
  type ValidationResult,
} from '@loopgate/contracts';
import { canonicalRuleSet } from './canonical';
import { firstNonJsonPath, indexPath, isPlainObject, propertyPath } from './json-path';
import { migrateRuleSetFile, type MigrationOptions } from './migrate';

/** Deeper nesting than this is refused: no rule needs it, and it would only exhaust the stack. */
export const MAX_CONDITION_DEPTH = 32;

/** A rule set id is also a file name and a URL segment. */
export const RULE_SET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/u;

const FILE_KEYS = ['schemaVersion', 'id', 'name', 'description', 'facts', 'derivedFacts', 'sharedConditions', 'rules'];
const FACT_KEYS = ['name', 'type', 'unit', 'source', 'description'];
const DERIVED_FACT_KEYS = ['name', 'type', 'unit', 'expression', 'description'];
/** A derived fact's name is read inside expressions, so it must be a plain identifier. */
const DERIVED_FACT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/u;
const RULE_KEYS = ['name', 'priority', 'conditions', 'event'];
const EVENT_KEYS = ['type', 'params'];
const FACT_CONDITION_KEYS = ['fact', 'operator', 'value', 'path', 'params', 'priority', 'name'];
const GATE_KEYS = ['priority', 'name'];
const FACT_REFERENCE_KEYS = ['fact', 'path', 'params'];
const CONDITION_KINDS = ['all', 'any', 'not', 'condition', 'fact'] as const;

/** Present with a value: an optional field set to undefined (as object spreads leave them) counts as absent. */
const has = (o: Record<string, unknown>, key: string) => Object.hasOwn(o, key) && o[key] !== undefined;

class StructureCheck {
  readonly issues: ValidationIssue[] = [];

  add(code: string, path: string, message: string): void {
    this.issues.push({ code, path, message });
  }

  onlyKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key) && value[key] !== undefined)
        this.add('UNKNOWN_PROPERTY', propertyPath(path, key), `unknown property "${key}"`);
    }
  }

  object(value: unknown, path: string, what: string): value is Record<string, unknown> {
    if (isPlainObject(value)) return true;
    this.add('INVALID_TYPE', path, `${what} must be an object`);
    return false;
  }

  requiredString(owner: Record<string, unknown>, key: string, path: string): void {
    const p = propertyPath(path, key);
    if (!Object.hasOwn(owner, key)) this.add('REQUIRED', p, `${key} is required`);
    else this.nonEmptyString(owner[key], p, key);
  }

  optionalString(owner: Record<string, unknown>, key: string, path: string): void {
    if (has(owner, key) && typeof owner[key] !== 'string') {
      this.add('INVALID_TYPE', propertyPath(path, key), `${key} must be a string`);
    }
  }

  nonEmptyString(value: unknown, path: string, what: string): boolean {
    if (typeof value !== 'string') this.add('INVALID_TYPE', path, `${what} must be a string`);
    else if (value.trim() === '') this.add('INVALID_VALUE', path, `${what} must not be empty`);
    else return true;
    return false;
  }

  priority(owner: Record<string, unknown>, path: string): void {
    if (!has(owner, 'priority')) return;
    const p = owner.priority;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1) {
      this.add('INVALID_VALUE', propertyPath(path, 'priority'), 'priority must be a whole number of at least 1');
    }
  }

  json(value: unknown, path: string): boolean {
    const bad = firstNonJsonPath(value, path);
    if (bad)
      this.add('NOT_JSON', bad, 'must be a JSON value (no undefined, NaN, Infinity, functions or class instances)');
    return !bad;
  }

  /** `{ fact, path?, params? }` where a value or event param reads a fact. */
  factReference(value: Record<string, unknown>, path: string): void {
    this.onlyKeys(value, FACT_REFERENCE_KEYS, path);
    this.requiredString(value, 'fact', path);
    this.optionalString(value, 'path', path);
    if (has(value, 'params') && this.object(value.params, propertyPath(path, 'params'), 'params')) {
      this.json(value.params, propertyPath(path, 'params'));
    }
  }

  condition(value: unknown, path: string, depth: number, topLevel: boolean): void {
    if (depth > MAX_CONDITION_DEPTH) {
      this.add('TOO_DEEP', path, `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels`);
      return;
    }
    if (!this.object(value, path, 'a condition')) return;
    const kinds = CONDITION_KINDS.filter((k) => has(value, k));
    if (kinds.length === 0) {
      this.add('INVALID_CONDITION', path, 'a condition needs one of all, any, not, condition or fact');
      return;
    }
    if (kinds.length > 1) {
      this.add(
        'AMBIGUOUS_CONDITION',
        path,
        `a condition has exactly one of all, any, not, condition, fact (found ${kinds.join(', ')})`,
      );
      return;
    }
    const [kind] = kinds;
    this.priority(value, path);
    this.optionalString(value, 'name', path);
    switch (kind) {
      case 'all':
      case 'any': {
        this.onlyKeys(value, [kind, ...GATE_KEYS], path);
        const children = value[kind];
        const p = propertyPath(path, kind);
        if (!Array.isArray(children)) this.add('INVALID_TYPE', p, `${kind} must be an array of conditions`);
        else children.forEach((c, i) => this.condition(c, indexPath(p, i), depth + 1, false));
        return;
      }
      case 'not': {
        this.onlyKeys(value, ['not', ...GATE_KEYS], path);
        const p = propertyPath(path, 'not');
        if (Array.isArray(value.not)) this.add('INVALID_TYPE', p, 'not takes one condition, not an array');
        else this.condition(value.not, p, depth + 1, false);
        return;
      }
      case 'condition':
        this.onlyKeys(value, ['condition', ...GATE_KEYS], path);
        this.nonEmptyString(value.condition, propertyPath(path, 'condition'), 'condition');
        return;
      case 'fact': {
        if (topLevel) {
          this.add(
            'INVALID_CONDITION',
            path,
            'the top of a rule is all, any, not or a condition reference, not a fact condition',
          );
          return;
        }
        this.onlyKeys(value, FACT_CONDITION_KEYS, path);
        this.nonEmptyString(value.fact, propertyPath(path, 'fact'), 'fact');
        this.requiredString(value, 'operator', path);
        const valuePath = propertyPath(path, 'value');
        if (!Object.hasOwn(value, 'value')) this.add('REQUIRED', valuePath, 'value is required');
        else if (
          this.json(value.value, valuePath) &&
          isPlainObject(value.value) &&
          Object.hasOwn(value.value, 'fact')
        ) {
          this.factReference(value.value, valuePath);
        }
        this.optionalString(value, 'path', path);
        if (has(value, 'params') && this.object(value.params, propertyPath(path, 'params'), 'params')) {
          this.json(value.params, propertyPath(path, 'params'));
        }
        return;
      }
    }
  }

  event(value: unknown, path: string): void {
    if (!this.object(value, path, 'event')) return;
    this.onlyKeys(value, EVENT_KEYS, path);
    this.requiredString(value, 'type', path);
    if (!has(value, 'params')) return;
    const paramsPath = propertyPath(path, 'params');
    if (!this.object(value.params, paramsPath, 'params') || !this.json(value.params, paramsPath)) return;
    const params = value.params;
    if (Object.hasOwn(params, 'action') && !(WRITE_BACK_ACTIONS as readonly unknown[]).includes(params.action)) {
      this.add(
        'INVALID_VALUE',
        propertyPath(paramsPath, 'action'),
        `action must be one of ${WRITE_BACK_ACTIONS.join(', ')}`,
      );
    }
    if (Object.hasOwn(params, 'targetKind') && !(TARGET_KINDS as readonly unknown[]).includes(params.targetKind)) {
      this.add(
        'INVALID_VALUE',
        propertyPath(paramsPath, 'targetKind'),
        `targetKind must be one of ${TARGET_KINDS.join(', ')}`,
      );
    }
    for (const [key, param] of Object.entries(params)) {
      if (isPlainObject(param) && Object.hasOwn(param, 'fact'))
        this.factReference(param, propertyPath(paramsPath, key));
    }
  }

  derivedFacts(raw: Record<string, unknown>): void {
    if (!Array.isArray(raw.derivedFacts)) {
      this.add('INVALID_TYPE', '$.derivedFacts', 'derivedFacts must be an array');
      return;
    }
    const inputs = new Set(
      Array.isArray(raw.facts) ? raw.facts.map((f) => (isPlainObject(f) ? f.name : undefined)) : [],
    );
    const seen = new Set<string>();
    raw.derivedFacts.forEach((fact, i) => {
      const p = indexPath('$.derivedFacts', i);
      if (!this.object(fact, p, 'a derived fact')) return;
      this.onlyKeys(fact, DERIVED_FACT_KEYS, p);
      this.requiredString(fact, 'name', p);
      this.requiredString(fact, 'expression', p);
      for (const key of ['unit', 'description']) this.optionalString(fact, key, p);
      if (!(DERIVED_FACT_TYPES as readonly unknown[]).includes(fact.type)) {
        this.add(
          Object.hasOwn(fact, 'type') ? 'INVALID_VALUE' : 'REQUIRED',
          `${p}.type`,
          `type must be one of ${DERIVED_FACT_TYPES.join(', ')}`,
        );
      }
      if (typeof fact.name !== 'string' || fact.name.trim() === '') return;
      if (!DERIVED_FACT_NAME.test(fact.name))
        this.add('INVALID_VALUE', `${p}.name`, 'a derived fact is named with letters, digits and "_" (no spaces)');
      if (seen.has(fact.name) || inputs.has(fact.name))
        this.add('DUPLICATE_FACT', `${p}.name`, `fact "${fact.name}" is declared twice`);
      seen.add(fact.name);
    });
  }

  file(raw: Record<string, unknown>): void {
    this.onlyKeys(raw, FILE_KEYS, '$');
    if (!Object.hasOwn(raw, 'id')) this.add('REQUIRED', '$.id', 'id is required');
    else if (this.nonEmptyString(raw.id, '$.id', 'id') && !RULE_SET_ID_PATTERN.test(raw.id as string)) {
      this.add('INVALID_VALUE', '$.id', 'id is letters, digits, ".", "_" and "-" (it names the file), at most 128');
    }
    this.requiredString(raw, 'name', '$');
    this.optionalString(raw, 'description', '$');

    if (!Object.hasOwn(raw, 'facts'))
      this.add('REQUIRED', '$.facts', 'facts is required (list the facts the rules read)');
    else if (!Array.isArray(raw.facts)) this.add('INVALID_TYPE', '$.facts', 'facts must be an array');
    else {
      const seen = new Set<string>();
      raw.facts.forEach((fact, i) => {
        const p = indexPath('$.facts', i);
        if (!this.object(fact, p, 'a fact')) return;
        this.onlyKeys(fact, FACT_KEYS, p);
        this.requiredString(fact, 'name', p);
        if (!(FACT_TYPES as readonly unknown[]).includes(fact.type)) {
          this.add(
            Object.hasOwn(fact, 'type') ? 'INVALID_VALUE' : 'REQUIRED',
            `${p}.type`,
            `type must be one of ${FACT_TYPES.join(', ')}`,
          );
        }
        for (const key of ['unit', 'source', 'description']) this.optionalString(fact, key, p);
        if (typeof fact.name === 'string') {
          if (seen.has(fact.name)) this.add('DUPLICATE_FACT', `${p}.name`, `fact "${fact.name}" is declared twice`);
          seen.add(fact.name);
        }
      });
    }

    if (has(raw, 'derivedFacts')) this.derivedFacts(raw);

    if (has(raw, 'sharedConditions') && this.object(raw.sharedConditions, '$.sharedConditions', 'sharedConditions')) {
      for (const [name, condition] of Object.entries(raw.sharedConditions)) {
        const p = propertyPath('$.sharedConditions', name);
        if (name.trim() === '') this.add('INVALID_VALUE', p, 'a shared condition needs a name');
        this.condition(condition, p, 1, true);
      }
    }

    if (!Object.hasOwn(raw, 'rules')) this.add('REQUIRED', '$.rules', 'rules is required');
    else if (!Array.isArray(raw.rules)) this.add('INVALID_TYPE', '$.rules', 'rules must be an array');
    else {
      const seen = new Set<string>();
      raw.rules.forEach((rule, i) => {
        const p = indexPath('$.rules', i);
        if (!this.object(rule, p, 'a rule')) return;
        this.onlyKeys(rule, RULE_KEYS, p);
        this.requiredString(rule, 'name', p);
        this.priority(rule, p);
        if (!Object.hasOwn(rule, 'conditions')) this.add('REQUIRED', `${p}.conditions`, 'conditions is required');
        else this.condition(rule.conditions, `${p}.conditions`, 1, true);
        if (!Object.hasOwn(rule, 'event')) this.add('REQUIRED', `${p}.event`, 'event is required');
        else this.event(rule.event, `${p}.event`);
        if (typeof rule.name === 'string') {
          if (seen.has(rule.name))
            this.add('DUPLICATE_RULE_NAME', `${p}.name`, `another rule is already named "${rule.name}"`);
          seen.add(rule.name);
        }
      });
    }
  }
}

export type ParseOptions = MigrationOptions;

/**
 * Reads a rule set file (its text or its parsed JSON): migrates it to the current schemaVersion
 * and checks its structure. Returns the file in canonical form, or every issue found, each with a
 * stable code and the JSON path of the offending field. Semantic checks are `validateRuleSet`'s.
 *
 * @example
 * const parsed = parseRuleSetFile(fs.readFileSync('rules/sets/tool-wear.json', 'utf8'));
 * if (!parsed.success) parsed.issues; // [{ code: 'REQUIRED', path: '$.rules[0].event', message: 'event is required' }]
 */
export function parseRuleSetFile(input: unknown, options: ParseOptions = {}): ValidationResult<RuleSetFile> {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (error) {
      return { success: false, issues: [{ code: 'INVALID_JSON', path: '$', message: (error as Error).message }] };
    }
  }
  const migrated = migrateRuleSetFile(raw, options);
  if (!migrated.success) return migrated;
  const check = new StructureCheck();
  check.file(migrated.value.file);
  if (check.issues.length > 0) return { success: false, issues: check.issues };
  return { success: true, value: canonicalRuleSet(migrated.value.file as unknown as RuleSetFile) };
}
