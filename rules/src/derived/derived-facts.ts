import type { DerivedFact, ValidationIssue } from '@loopgate/contracts';
import jsonata from 'jsonata';

/** Limits for one expression: what a plant's arithmetic needs, and no more. */
export const DERIVED_EXPRESSION_LIMITS = Object.freeze({ maxLength: 1000, timeoutMs: 50, stackDepth: 100 });

/** Functions whose result depends on the moment or on chance: a replay could not reproduce them. */
const NONDETERMINISTIC = ['now', 'millis', 'random'];

/** A derived fact could not be computed: its expression failed or produced the wrong type. */
export class DerivedFactError extends Error {
  constructor(
    readonly code: 'EXPRESSION_FAILED' | 'DERIVED_FACT_TYPE' | 'FORBIDDEN_FUNCTION',
    readonly fact: string,
    message: string,
  ) {
    super(message);
    this.name = 'DerivedFactError';
  }
}

/** Bound over JSONata's own, so a stored expression cannot reach them even if validation was skipped. */
const BINDINGS = Object.fromEntries(
  NONDETERMINISTIC.map((name) => [
    name,
    () => {
      throw new DerivedFactError('FORBIDDEN_FUNCTION', name, `$${name}() is not allowed in a derived fact`);
    },
  ]),
);

interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  procedure?: AstNode;
}

interface Reads {
  facts: Set<string>;
  functions: Set<string>;
}

/** The fact names an expression reads (the first step of each path) and the functions it calls. */
function readsOf(node: unknown, reads: Reads): void {
  if (Array.isArray(node)) {
    for (const n of node) readsOf(n, reads);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const n = node as AstNode;
  if (n.type === 'path' && Array.isArray(n.steps)) {
    const [first, ...rest] = n.steps;
    if (first?.type === 'name' && typeof first.value === 'string') reads.facts.add(first.value);
    else readsOf(first, reads);
    // Later steps name fields inside the first; only their predicates and arguments read facts.
    for (const step of rest) for (const [k, v] of Object.entries(step)) if (k !== 'value') readsOf(v, reads);
    return;
  }
  if (n.type === 'name' && typeof n.value === 'string') {
    reads.facts.add(n.value);
    return;
  }
  if (n.type === 'function' && n.procedure?.type === 'variable') reads.functions.add(String(n.procedure.value));
  for (const [key, value] of Object.entries(n)) if (key !== 'value' || typeof value === 'object') readsOf(value, reads);
}

function parse(expression: string): { ast?: unknown; issue?: string } {
  try {
    return { ast: jsonata(expression).ast() };
  } catch (error) {
    const e = error as { message?: string; position?: number };
    return {
      issue: `${e.message ?? 'not a JSONata expression'}${e.position !== undefined ? ` (at character ${e.position})` : ''}`,
    };
  }
}

/**
 * Checks one derived fact's expression: that it parses, stays within the limits, calls nothing
 * nondeterministic and reads only `known` facts. Issues carry stable codes and `path`.
 *
 * @example checkDerivedExpression('$round(feedRate * 0.95, -1)', new Set(['feedRate']), '$.derivedFacts[0].expression') // []
 */
export function checkDerivedExpression(
  expression: string,
  known: ReadonlySet<string>,
  path: string,
): ValidationIssue[] {
  if (expression.length > DERIVED_EXPRESSION_LIMITS.maxLength) {
    return [
      {
        code: 'EXPRESSION_TOO_LONG',
        path,
        message: `an expression is at most ${DERIVED_EXPRESSION_LIMITS.maxLength} characters`,
      },
    ];
  }
  const parsed = parse(expression);
  if (parsed.issue) return [{ code: 'INVALID_EXPRESSION', path, message: parsed.issue }];
  const reads: Reads = { facts: new Set(), functions: new Set() };
  readsOf(parsed.ast, reads);
  const issues: ValidationIssue[] = [];
  for (const name of reads.functions) {
    if (NONDETERMINISTIC.includes(name))
      issues.push({
        code: 'FORBIDDEN_FUNCTION',
        path,
        message: `$${name}() gives a different answer on replay; derive from facts only`,
      });
  }
  for (const name of reads.facts) {
    if (!known.has(name))
      issues.push({
        code: 'UNKNOWN_FACT',
        path,
        message: `the expression reads "${name}", which is not a fact or an earlier derived fact (known: ${[...known].join(', ') || 'none'})`,
      });
  }
  return issues;
}

/** The facts an expression reads, for the console's preview ("reads feedRate"); none when it does not parse. */
export function derivedFactReads(expression: string): string[] {
  const parsed = parse(expression);
  if (parsed.issue) return [];
  const reads: Reads = { facts: new Set(), functions: new Set() };
  readsOf(parsed.ast, reads);
  return [...reads.facts];
}

/** A rule set's derived facts, compiled once; `derive` computes them in order for one evaluation. */
export class DerivedFacts {
  private readonly compiled: { fact: DerivedFact; expression: jsonata.Expression }[];

  constructor(facts: readonly DerivedFact[]) {
    this.compiled = facts.map((fact) => ({
      fact,
      expression: jsonata(fact.expression, {
        timeout: DERIVED_EXPRESSION_LIMITS.timeoutMs,
        stack: DERIVED_EXPRESSION_LIMITS.stackDepth,
      } as jsonata.JsonataOptions),
    }));
  }

  get size(): number {
    return this.compiled.length;
  }

  /**
   * The derived values for `facts`, by name, each computed from the facts and the earlier derived
   * values. One whose inputs are missing stays undefined (a condition on it then meets a missing
   * fact, as for any other); a value of the wrong type throws `DerivedFactError`.
   *
   * @example await new DerivedFacts([{ name: 'reduced', type: 'number', expression: '$round(feedRate * 0.95, -1)' }]).derive({ feedRate: 1234 }) // { reduced: 1170 }
   */
  async derive(facts: Record<string, unknown>): Promise<Record<string, unknown>> {
    const scope: Record<string, unknown> = { ...facts };
    const values: Record<string, unknown> = {};
    for (const { fact, expression } of this.compiled) {
      let value: unknown;
      try {
        value = await expression.evaluate(scope, BINDINGS);
      } catch (error) {
        if (error instanceof DerivedFactError) throw error;
        const e = error as { message?: string; code?: string };
        throw new DerivedFactError(
          'EXPRESSION_FAILED',
          fact.name,
          `derived fact "${fact.name}": ${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`,
        );
      }
      delete scope[fact.name];
      if (value === undefined) continue;
      if (typeof value !== fact.type || (typeof value === 'number' && !Number.isFinite(value))) {
        throw new DerivedFactError(
          'DERIVED_FACT_TYPE',
          fact.name,
          `derived fact "${fact.name}" is declared ${fact.type} but its expression gave ${JSON.stringify(value)}`,
        );
      }
      scope[fact.name] = value;
      values[fact.name] = value;
    }
    return values;
  }
}
