import type { ConditionResult, EvaluationResult, RuleEvent, RuleResult, RuleSetFile } from '@loopgate/contracts';
import { Engine, Operator, OperatorDecorator, Rule, type RuleResult as EngineRuleResult } from 'json-rules-engine';
import type { EngineFact } from './fact-reader';
import type { PathResolver } from './fact-path';
import type { CustomOperator, CustomOperatorDecorator } from './operators';

/** The json-rules-engine options the compiled evaluator honours, with the same meaning. */
export interface EngineOptions {
  allowUndefinedFacts?: boolean;
  allowUndefinedConditions?: boolean;
  replaceFactsInEventParams?: boolean;
  pathResolver?: PathResolver;
  operators?: readonly CustomOperator[];
  operatorDecorators?: readonly CustomOperatorDecorator[];
  facts?: readonly EngineFact[];
}

interface EngineCondition {
  [key: string]: unknown;
  result?: unknown;
  factResult?: unknown;
  valueResult?: unknown;
}

const hasOwn = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/**
 * One result entry per condition json-rules-engine evaluated, in tree order, from the condition
 * tree of its `RuleResult` (references appear realized, as the engine leaves them). The root's own
 * result is the rule's result and is not repeated.
 */
export function engineConditionResults(root: object): ConditionResult[] {
  const out: ConditionResult[] = [];
  const visit = (node: EngineCondition, path: string, isRoot: boolean) => {
    if (!isRoot) {
      if (!hasOwn(node, 'result')) return;
      const isFact = !hasOwn(node, 'condition') && !hasOwn(node, 'any') && !hasOwn(node, 'all') && !hasOwn(node, 'not');
      out.push(
        isFact
          ? {
              path,
              fact: node.fact as string,
              operator: node.operator as string,
              value: node.valueResult,
              factValue: node.factResult,
              result: node.result as boolean,
            }
          : { path, result: node.result as boolean },
      );
    }
    if (hasOwn(node, 'condition')) return;
    const kind = hasOwn(node, 'any') ? 'any' : hasOwn(node, 'all') ? 'all' : hasOwn(node, 'not') ? 'not' : undefined;
    if (kind === 'not') visit(node.not as EngineCondition, `${path}.not`, false);
    else if (kind) (node[kind] as EngineCondition[]).forEach((c, i) => visit(c, `${path}.${kind}[${i}]`, false));
  };
  visit(root as EngineCondition, '$.conditions', true);
  return out;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * Runs a rule set through json-rules-engine itself: for what the compiled evaluator cannot do
 * (computed or asynchronous facts) and as the reference the differential test compares against.
 * Results come in the compiled evaluator's order: by rule priority, then as written.
 */
export class EngineRunner {
  private readonly idle: { engine: Engine; ruleIndex: WeakMap<EngineRuleResult, number> }[] = [];
  private readonly position: number[];

  constructor(
    private readonly file: RuleSetFile,
    private readonly options: EngineOptions,
    ruleOrder: readonly number[],
  ) {
    this.position = new Array<number>(file.rules.length);
    ruleOrder.forEach((ruleIndex, position) => (this.position[ruleIndex] = position));
  }

  /** `engine.run(facts)` turned into an EvaluationResult. Rejects exactly when the engine does. */
  async run(facts: unknown): Promise<EvaluationResult> {
    // The engine keeps its running state on the instance: concurrent runs each need their own.
    const entry = this.idle.pop() ?? this.build();
    try {
      const outcome = await entry.engine.run(facts as Record<string, unknown>);
      const all = [...outcome.results, ...outcome.failureResults].map((r) => {
        const index = entry.ruleIndex.get(r);
        if (index === undefined) throw new Error(`json-rules-engine returned a result for an unknown rule "${r.name}"`);
        return { r, position: this.position[index] };
      });
      all.sort((a, b) => a.position - b.position);
      const results: RuleResult[] = [];
      const events: RuleEvent[] = [];
      const failureEvents: RuleEvent[] = [];
      for (const { r } of all) {
        const event = r.event as RuleEvent;
        results.push({
          name: r.name,
          priority: r.priority as number,
          result: r.result,
          event,
          conditions: engineConditionResults(r.conditions),
        });
        (r.result ? events : failureEvents).push(event);
      }
      return { events, failureEvents, results };
    } finally {
      this.idle.push(entry);
    }
  }

  private build() {
    const o = this.options;
    const engine = new Engine([], {
      allowUndefinedFacts: o.allowUndefinedFacts,
      allowUndefinedConditions: o.allowUndefinedConditions,
      replaceFactsInEventParams: o.replaceFactsInEventParams,
      pathResolver: o.pathResolver,
    });
    for (const op of o.operators ?? []) {
      engine.addOperator(new Operator(op.name, op.evaluate.bind(op), op.factValueValidator?.bind(op)));
    }
    for (const d of o.operatorDecorators ?? []) {
      engine.addOperatorDecorator(new OperatorDecorator(d.name, d.evaluate.bind(d), d.factValueValidator?.bind(d)));
    }
    for (const fact of o.facts ?? []) {
      const factOptions: { priority?: number; cache?: boolean } = {};
      if (fact.priority !== undefined) factOptions.priority = fact.priority;
      if (fact.cache !== undefined) factOptions.cache = fact.cache;
      const valueOrMethod = (fact.calculate ?? fact.value) as never;
      if (Object.keys(factOptions).length > 0) engine.addFact(fact.id, valueOrMethod, factOptions);
      else engine.addFact(fact.id, valueOrMethod);
    }
    for (const [name, condition] of Object.entries(this.file.sharedConditions ?? {})) {
      engine.setCondition(name, clone(condition) as never);
    }
    const ruleIndex = new WeakMap<EngineRuleResult, number>();
    this.file.rules.forEach((definition, index) => {
      const rule = new Rule({
        name: definition.name,
        priority: definition.priority,
        conditions: clone(definition.conditions) as never,
        event: clone(definition.event),
      });
      // A rule emits its own success/failure with the RuleResult before the engine collects it.
      const remember = (_event: unknown, _almanac: unknown, result: EngineRuleResult) => ruleIndex.set(result, index);
      const emitter = rule as unknown as { on(event: string, listener: typeof remember): void };
      emitter.on('success', remember);
      emitter.on('failure', remember);
      engine.addRule(rule);
    });
    return { engine, ruleIndex };
  }
}
