import type {
  Condition,
  FactCondition,
  FactType,
  RuleSetFile,
  TopLevelCondition,
  ValidationIssue,
  ValidationResult,
} from '@loopgate/contracts';
import { booleanKind, isConditionReference, isFactReference } from '../evaluator/compile-conditions';
import {
  OperatorRegistry,
  type BuiltInOperator,
  type CustomOperator,
  type CustomOperatorDecorator,
} from '../evaluator/operators';
import { checkDerivedExpression } from '../derived/derived-facts';
import { checkWriteBackEvent, type ActionCatalogue } from './event-check';
import { indexPath, propertyPath } from './json-path';
import { parseRuleSetFile, type ParseOptions } from './parse';

export interface RuleSetValidationOptions {
  /** Write-back actions some configured target can carry out; events naming another action are refused. */
  supportedActions?: Iterable<string>;
  /**
   * The targets' action catalogue: write-back events are checked against it (action offered by
   * the target, required fields present, values of the right type).
   */
  actionCatalogue?: ActionCatalogue;
  /** Custom operators the evaluator will be given (names are enough for validation). */
  operators?: readonly (string | Pick<CustomOperator, 'name'>)[];
  operatorDecorators?: readonly (string | Pick<CustomOperatorDecorator, 'name'>)[];
}

/** A condition's operand type as far as validation can tell: a declared fact type, a literal's type, or unknown. */
type Operand = { type: FactType | 'null' | 'unknown'; side: 'fact' | 'value' };

const COMPARISONS = new Set<BuiltInOperator>(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

function jsonType(value: unknown): Operand['type'] {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  return t === 'number' || t === 'string' || t === 'boolean' || t === 'object' ? t : 'unknown';
}

const nameOf = (x: string | { name: string }) => (typeof x === 'string' ? x : x.name);
const describeCondition = (c: FactCondition) =>
  `${c.fact}${c.path ? ` ${c.path}` : ''} ${c.operator} ${JSON.stringify(c.value)}`;

class SemanticCheck {
  readonly issues: ValidationIssue[] = [];
  private readonly facts: Map<string, FactType>;
  private readonly shared: Record<string, TopLevelCondition>;
  private readonly operators: OperatorRegistry;

  constructor(
    private readonly file: RuleSetFile,
    private readonly options: RuleSetValidationOptions,
  ) {
    this.facts = new Map([
      ...file.facts.map((f) => [f.name, f.type] as const),
      ...(file.derivedFacts ?? []).map((f) => [f.name, f.type] as const),
    ]);
    this.shared = file.sharedConditions ?? {};
    const noop = () => false;
    this.operators = new OperatorRegistry(
      (options.operators ?? []).map((o) => ({ name: nameOf(o), evaluate: noop })),
      (options.operatorDecorators ?? []).map((d) => ({ name: nameOf(d), evaluate: noop })),
    );
  }

  private add(code: string, path: string, message: string): void {
    this.issues.push({ code, path, message });
  }

  run(): ValidationIssue[] {
    this.circularReferences();
    const known = new Set(this.file.facts.map((f) => f.name));
    (this.file.derivedFacts ?? []).forEach((fact, i) => {
      this.issues.push(
        ...checkDerivedExpression(fact.expression, known, `${indexPath('$.derivedFacts', i)}.expression`),
      );
      known.add(fact.name);
    });
    for (const [name, condition] of Object.entries(this.shared)) {
      this.condition(condition, propertyPath('$.sharedConditions', name), false);
    }
    const supported = this.options.supportedActions ? new Set(this.options.supportedActions) : undefined;
    this.file.rules.forEach((rule, i) => {
      const path = indexPath('$.rules', i);
      this.condition(rule.conditions, `${path}.conditions`, false);
      const params = rule.event.params ?? {};
      const action = params.action;
      if (supported && typeof action === 'string' && !supported.has(action)) {
        this.add(
          'UNSUPPORTED_ACTION',
          `${path}.event.params.action`,
          `no configured target supports "${action}" (supported: ${[...supported].join(', ') || 'none'})`,
        );
      }
      for (const [key, value] of Object.entries(params)) {
        if (isFactReference(value)) this.knownFact(value.fact, `${propertyPath(`${path}.event.params`, key)}.fact`);
      }
      if (this.options.actionCatalogue)
        this.issues.push(...checkWriteBackEvent(rule.event, `${path}.event`, this.options.actionCatalogue, this.facts));
    });
    return this.issues;
  }

  private knownFact(name: string, path: string): void {
    if (!this.facts.has(name)) {
      this.add(
        'UNKNOWN_FACT',
        path,
        `fact "${name}" is not declared in facts (declared: ${[...this.facts.keys()].join(', ') || 'none'})`,
      );
    }
  }

  private condition(c: Condition, path: string, insideAll: boolean): void {
    if (isConditionReference(c)) {
      if (!Object.hasOwn(this.shared, c.condition)) {
        this.add('UNKNOWN_CONDITION_REFERENCE', `${path}.condition`, `no shared condition named "${c.condition}"`);
      }
      return;
    }
    const kind = booleanKind(c);
    if (kind === 'any' || kind === 'all') {
      const children = (c as Record<typeof kind, Condition[]>)[kind];
      if (kind === 'any' && children.length === 0) {
        this.add(
          'EMPTY_ANY',
          path,
          'json-rules-engine treats an empty "any" as true; use "all": [] for a rule that always fires',
        );
      }
      if (kind === 'all' && !insideAll) this.unsatisfiable(c as { all: Condition[] }, path);
      children.forEach((child, i) => this.condition(child, `${path}.${kind}[${i}]`, kind === 'all'));
      return;
    }
    if (kind === 'not') {
      const inner = (c as { not: Condition }).not;
      if (
        !isConditionReference(inner) &&
        booleanKind(inner) === 'all' &&
        (inner as { all: Condition[] }).all.length === 0
      ) {
        this.add('UNSATISFIABLE_CONDITION', path, 'not of an empty "all" (which is true) can never be true');
      }
      this.condition(inner, `${path}.not`, false);
      return;
    }
    this.factCondition(c as FactCondition, path);
  }

  private factCondition(c: FactCondition, path: string): void {
    this.knownFact(c.fact, `${path}.fact`);
    const valueRef = isFactReference(c.value) ? c.value : undefined;
    if (valueRef) this.knownFact(valueRef.fact, `${path}.value.fact`);
    const op = this.operators.resolve(c.operator);
    if (!op) {
      this.add('UNKNOWN_OPERATOR', `${path}.operator`, this.unknownOperatorMessage(c.operator));
      return;
    }
    let left: Operand = { type: c.path ? 'unknown' : (this.facts.get(c.fact) ?? 'unknown'), side: 'fact' };
    let right: Operand = valueRef
      ? { type: valueRef.path ? 'unknown' : (this.facts.get(valueRef.fact) ?? 'unknown'), side: 'value' }
      : { type: jsonType(c.value), side: 'value' };
    for (const decorator of op.decorators) {
      switch (decorator) {
        case 'someFact':
        case 'everyFact':
          if (!this.expect(left, ['array'], path, `${decorator} needs a list`)) return;
          left = { type: 'unknown', side: left.side };
          break;
        case 'someValue':
        case 'everyValue':
          if (!this.expect(right, ['array'], path, `${decorator} needs a list`)) return;
          right = { type: 'unknown', side: right.side };
          break;
        case 'swap':
          [left, right] = [right, left];
          break;
        case 'not':
          break;
        default:
          // A custom decorator may change either side in ways validation cannot follow.
          return;
      }
    }
    const base = this.operators.resolve(op.base)?.builtIn;
    if (!base) return;
    if (COMPARISONS.has(base)) {
      if (this.expect(left, ['number'], path, `${base} compares numbers`)) {
        this.expect(right, ['number'], path, `${base} compares numbers`);
      }
    } else if (base === 'in' || base === 'notIn') {
      if (
        this.expect(
          right,
          left.type === 'string' ? ['array', 'string'] : ['array'],
          path,
          `${base} looks the value up in a list`,
        )
      ) {
        this.expect(
          left,
          ['number', 'string', 'boolean', 'null'],
          path,
          `${base} compares whole values, so a list or object never matches`,
        );
      }
    } else if (base === 'contains' || base === 'doesNotContain') {
      // json-rules-engine's contains only looks inside arrays: on a string it is always false.
      this.expect(left, ['array'], path, `${base} looks inside a list`);
    } else if (base === 'equal' || base === 'notEqual') {
      if (left.type === 'array' || left.type === 'object' || right.type === 'array' || right.type === 'object') {
        const side = left.type === 'array' || left.type === 'object' ? left : right;
        this.add(
          side.side === 'fact' ? 'OPERATOR_TYPE_MISMATCH' : 'VALUE_TYPE_MISMATCH',
          side.side === 'fact' ? `${path}.operator` : `${path}.value`,
          `${base} compares lists and objects by identity, so it never matches a ${side.type}; use a path to a field`,
        );
      } else if (
        left.type !== 'unknown' &&
        right.type !== 'unknown' &&
        right.type !== 'null' &&
        left.type !== 'null' &&
        left.type !== right.type
      ) {
        const valueSide = left.side === 'value' ? left : right;
        const factSide = left.side === 'value' ? right : left;
        this.add(
          'VALUE_TYPE_MISMATCH',
          `${path}.value`,
          `a ${factSide.type} fact never ${base === 'equal' ? 'equals' : 'differs from'} a ${valueSide.type} only by type: ${base} is strict`,
        );
      }
    }
  }

  /** Reports OPERATOR_TYPE_MISMATCH (fact side) or VALUE_TYPE_MISMATCH (value side) unless the type fits. */
  private expect(operand: Operand, types: Operand['type'][], path: string, why: string): boolean {
    if (operand.type === 'unknown' || types.includes(operand.type)) return true;
    if (operand.side === 'fact') {
      this.add('OPERATOR_TYPE_MISMATCH', `${path}.operator`, `${why}, but the fact is a ${operand.type}`);
    } else {
      this.add('VALUE_TYPE_MISMATCH', `${path}.value`, `${why}, but the value is a ${operand.type}`);
    }
    return false;
  }

  private unknownOperatorMessage(name: string): string {
    const parts = name.split(':');
    const base = parts.at(-1) as string;
    const badDecorator = parts.slice(0, -1).find((d) => !this.operators.hasDecorator(d));
    if (badDecorator !== undefined) return `unknown operator decorator "${badDecorator}"`;
    return `unknown operator "${base}"`;
  }

  /**
   * Conditions of one `all` (nested `all`s included) on the same fact and path that no value can
   * satisfy together. Decided with the operators themselves on candidate values, so it follows
   * json-rules-engine's semantics (strict equality, numeric coercion) rather than a model of them.
   */
  private unsatisfiable(c: { all: Condition[] }, path: string): void {
    const atoms = new Map<string, { condition: FactCondition; path: string }[]>();
    const collect = (conditions: Condition[], base: string) => {
      conditions.forEach((child, i) => {
        const childPath = `${base}[${i}]`;
        if (isConditionReference(child)) return;
        const kind = booleanKind(child);
        if (kind === 'all') collect((child as { all: Condition[] }).all, `${childPath}.all`);
        if (kind) return;
        const fc = child as FactCondition;
        if (isFactReference(fc.value)) return;
        const op = this.operators.resolve(fc.operator);
        if (!op?.builtIn || op.builtIn === 'contains' || op.builtIn === 'doesNotContain') return;
        if ((op.builtIn === 'in' || op.builtIn === 'notIn') && !Array.isArray(fc.value)) return;
        const key = `${fc.fact}\u0000${fc.path ?? ''}`;
        const list = atoms.get(key) ?? [];
        list.push({ condition: fc, path: childPath });
        atoms.set(key, list);
      });
    };
    collect(c.all, `${path}.all`);
    for (const group of atoms.values()) {
      const conflict = this.conflict(group);
      if (conflict) {
        this.add(
          'UNSATISFIABLE_CONDITION',
          path,
          `can never be true: ${conflict.map((a) => `${a.path} (${describeCondition(a.condition)})`).join(' and ')}`,
        );
      }
    }
  }

  /** The conditions that cannot hold together, or undefined when some value satisfies them all. */
  private conflict(group: { condition: FactCondition; path: string }[]) {
    const test = (a: (typeof group)[number], v: unknown) =>
      this.operators.resolve(a.condition.operator)!.evaluate(v, a.condition.value) === true;
    const pinned = group.filter((a) => a.condition.operator === 'equal' || a.condition.operator === 'in');
    if (pinned.length > 0) {
      // The fact must be one of these values; try each against every condition.
      const candidates = pinned.flatMap((a) =>
        a.condition.operator === 'equal' ? [a.condition.value] : (a.condition.value as unknown[]),
      );
      return candidates.some((v) => group.every((a) => test(a, v))) ? undefined : group;
    }
    // Only comparisons (and notEqual/notIn, which exclude single values): intersect the numeric bounds.
    let low = -Infinity;
    let lowInclusive = true;
    let high = Infinity;
    let highInclusive = true;
    const bounds: typeof group = [];
    for (const a of group) {
      const v = a.condition.value;
      if (typeof v !== 'number') continue;
      switch (a.condition.operator) {
        case 'greaterThan':
        case 'greaterThanInclusive': {
          const inclusive = a.condition.operator === 'greaterThanInclusive';
          if (v > low || (v === low && !inclusive)) [low, lowInclusive] = [v, inclusive];
          bounds.push(a);
          break;
        }
        case 'lessThan':
        case 'lessThanInclusive': {
          const inclusive = a.condition.operator === 'lessThanInclusive';
          if (v < high || (v === high && !inclusive)) [high, highInclusive] = [v, inclusive];
          bounds.push(a);
          break;
        }
      }
    }
    if (low > high || (low === high && !(lowInclusive && highInclusive))) return bounds;
    return undefined;
  }

  private circularReferences(): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const reported = new Set<string>();
    const refsOf = (c: Condition, out: string[]): string[] => {
      const kind = booleanKind(c);
      if (isConditionReference(c)) out.push(c.condition);
      else if (kind === 'not') refsOf((c as { not: Condition }).not, out);
      else if (kind) for (const child of (c as unknown as Record<string, Condition[]>)[kind]) refsOf(child, out);
      return out;
    };
    const visit = (name: string, stack: string[]) => {
      if (state.get(name) === 'done' || !Object.hasOwn(this.shared, name)) return;
      if (state.get(name) === 'visiting') {
        const loop = stack.slice(stack.indexOf(name));
        for (const member of loop) {
          if (reported.has(member)) continue;
          reported.add(member);
          this.add(
            'CIRCULAR_CONDITION_REFERENCE',
            propertyPath('$.sharedConditions', member),
            `shared conditions refer to each other in a loop: ${[...loop, name].join(' → ')}`,
          );
        }
        return;
      }
      state.set(name, 'visiting');
      for (const ref of refsOf(this.shared[name], [])) visit(ref, [...stack, name]);
      state.set(name, 'done');
    };
    for (const name of Object.keys(this.shared)) visit(name, []);
  }
}

/**
 * The semantic checks on a structurally valid rule set: facts that are not declared, operators
 * that do not fit a fact's type, conditions that can never be true, events asking for a write-back
 * no target supports, references to missing or looping shared conditions.
 *
 * @example
 * validateRuleSet(file, { supportedActions: ['set-parameter', 'hold-lot'] });
 * // [{ code: 'UNKNOWN_FACT', path: '$.rules[0].conditions.all[1].fact', message: 'fact "spindelLoad" is not declared …' }]
 */
export function validateRuleSet(file: RuleSetFile, options: RuleSetValidationOptions = {}): ValidationIssue[] {
  return new SemanticCheck(file, options).run();
}

/**
 * Structure and semantics in one go: what the registry runs before a draft may be published and
 * what the CLI runs on `rules/sets`. The value is the file in canonical form.
 *
 * @example
 * const checked = validateRuleSetFile(text, { supportedActions });
 * if (!checked.success) return { statusCode: 422, code: 'VALIDATION_FAILED', issues: checked.issues };
 */
export function validateRuleSetFile(
  input: unknown,
  options: RuleSetValidationOptions & ParseOptions = {},
): ValidationResult<RuleSetFile> {
  const parsed = parseRuleSetFile(input, options);
  if (!parsed.success) return parsed;
  const issues = validateRuleSet(parsed.value, options);
  return issues.length > 0 ? { success: false, issues } : parsed;
}
