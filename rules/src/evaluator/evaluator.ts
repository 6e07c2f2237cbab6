import type { EvaluationResult, RuleEvent, RuleSetFile } from '@loopgate/contracts';
import { DerivedFacts } from '../derived/derived-facts';
import { parseRuleSetFile } from '../file/parse';
import { ConditionCompiler, deepFreeze, type ConditionTest, type ConditionTrace } from './compile-conditions';
import { EngineRunner, type EngineOptions } from './engine-runner';
import { planIndex } from './equality-index';
import { AsyncFactError, RuleSetCompileError } from './errors';
import { evaluationResult, type RuleResultShape } from './evaluation-result';
import { FactReader, FactSlots, type Facts } from './fact-reader';
import { OperatorRegistry } from './operators';
import { Outcomes } from './outcomes';
import { Precomputation } from './precompute';
import { RuleEventTemplate, type EventFactRead } from './rule-event';

/** From this many conditions (rule roots included), by default, results are built when first read. */
const LAZY_RESULTS_FROM = 256;

/** json-rules-engine's engine options, custom operators and decorators, and facts known up front. */
export interface CompileOptions extends EngineOptions {
  /**
   * `evaluate` builds failure events and per-condition results when they are first read. Default:
   * from 256 conditions; below that, building them costs about what the lazy result itself costs.
   */
  lazyResults?: boolean;
}

/**
 * How Loopgate runs rule sets everywhere (gateway, palette, replay): event params may read facts,
 * e.g. `value: { fact: 'compensatedFeedRate' }`, and a fact the caller did not give is an error.
 */
export const LOOPGATE_RULE_OPTIONS: Readonly<CompileOptions> = Object.freeze({
  replaceFactsInEventParams: true,
  allowUndefinedFacts: false,
});

/**
 * A compiled rule set. Results are json-rules-engine's, in a fixed order: rules by priority
 * (highest first), then as written in the file. Events are shared and frozen, never copied.
 */
export interface RuleSetEvaluator {
  readonly ruleSet: Readonly<RuleSetFile>;
  /** Rules the equality index can rule out without evaluating them. */
  readonly indexedRuleCount: number;
  /**
   * Fired and failed events and every rule's per-condition results, synchronously. A rule set
   * with derived facts throws `AsyncFactError`: JSONata evaluates asynchronously.
   */
  evaluate(facts?: Facts): EvaluationResult;
  /**
   * The same, also for computed or promised facts (which json-rules-engine itself evaluates) and
   * for derived facts, which are computed first; their values are in `derivedFacts`.
   */
  evaluateAsync(facts?: Facts): Promise<EvaluationResult>;
  /** Only the fired events: the fast path, using the equality index. Throws for derived facts, as `evaluate`. */
  events(facts?: Facts): RuleEvent[];
  /** Only the fired events, also for computed, promised or derived facts. */
  eventsAsync(facts?: Facts): Promise<RuleEvent[]>;
}

interface CompiledRule extends RuleResultShape {
  test: ConditionTest;
  trace: ConditionTrace;
  /** Its result is computed by the precomputation, before the rules run. */
  precomputed: boolean;
  /** Slots its event params read that no earlier rule's do: enough when every rule runs, in order. */
  firstEventReads: number[];
}

/**
 * Compiles a rule set file into an evaluator with json-rules-engine 7's exact results.
 * Throws `RuleSetCompileError` (with issues) when the file's structure is invalid.
 *
 * @example
 * const evaluator = compileRuleSet(toolWearFile, { replaceFactsInEventParams: true });
 * const fired = evaluator.events({ spindleLoad: 91, toolWearScore: 0.72, feedRate: 1200 });
 * // [{ type: 'writeback', params: { action: 'set-parameter', parameter: 'FeedRate', value: 1104 } }]
 */
export function compileRuleSet(file: RuleSetFile, options: CompileOptions = {}): RuleSetEvaluator {
  const parsed = parseRuleSetFile(file);
  if (!parsed.success) {
    const first = parsed.issues[0];
    throw new RuleSetCompileError(`Rule set is not valid: ${first.path}: ${first.message}`, parsed.issues);
  }
  return new CompiledRuleSet(deepFreeze(parsed.value), options);
}

class CompiledRuleSet implements RuleSetEvaluator {
  readonly indexedRuleCount: number;
  private readonly rules: CompiledRule[];
  /** Condition ids in use, rule roots included: the size of one evaluation's outcomes. */
  private readonly outcomeCount: number;
  /** What traced evaluation computes before the rules: see `Precomputation`. */
  private readonly precomputation: Precomputation;
  private readonly lazyResults: boolean;
  private readonly slots: FactSlots;
  private readonly reader: FactReader;
  private readonly allowUndefinedFacts: boolean;
  private readonly indexSlots: number[] = [];
  private readonly buckets: Map<unknown, Int32Array>[] = [];
  private readonly unindexed: Int32Array;
  private readonly indexReads: { slot: number; primitive: boolean }[];
  private readonly runner: EngineRunner;
  private readonly derived: DerivedFacts;

  constructor(
    readonly ruleSet: Readonly<RuleSetFile>,
    options: CompileOptions,
  ) {
    this.allowUndefinedFacts = Boolean(options.allowUndefinedFacts);
    this.derived = new DerivedFacts(ruleSet.derivedFacts ?? []);
    this.slots = new FactSlots(options.facts);
    const operators = new OperatorRegistry(options.operators, options.operatorDecorators);
    const compiler = new ConditionCompiler({
      slots: this.slots,
      operators,
      sharedConditions: ruleSet.sharedConditions ?? {},
      allowUndefinedConditions: Boolean(options.allowUndefinedConditions),
      pathResolver: options.pathResolver,
    });
    const replace = Boolean(options.replaceFactsInEventParams);
    const eventFactSlots: EventFactRead[] = [];
    const written = ruleSet.rules.map((rule): CompiledRule => {
      const conditions = compiler.compileRoot(rule.conditions);
      const event = new RuleEventTemplate(rule.event, replace, this.slots, options.pathResolver);
      eventFactSlots.push(...event.factReads);
      return {
        name: rule.name,
        // Rule: `parseInt(options.priority || 1)`.
        priority: Number.parseInt(String(rule.priority || 1), 10),
        rootId: conditions.rootId,
        event,
        conditions: conditions.conditions,
        test: conditions.test,
        trace: conditions.trace,
        precomputed: conditions.precomputed,
        firstEventReads: [],
      };
    });
    this.outcomeCount = compiler.idCount;
    this.precomputation = new Precomputation(compiler.precomputedLeaves, compiler.combinations);
    this.lazyResults = options.lazyResults ?? this.outcomeCount >= LAZY_RESULTS_FROM;
    // Engine.prioritizeRules: highest priority first; within a priority, as written.
    const order = written.map((_, i) => i).sort((a, b) => written[b].priority - written[a].priority || a - b);
    this.rules = order.map((i) => written[i]);
    const eventReads = new Set<number>();
    for (const rule of this.rules) {
      rule.firstEventReads = rule.event.slots.filter((slot) => !eventReads.has(slot));
      for (const slot of rule.firstEventReads) eventReads.add(slot);
    }
    this.runner = new EngineRunner(ruleSet as RuleSetFile, options, order);

    const plan = planIndex(ruleSet.rules, this.slots, operators, (fact) => this.slots.enginePriority.get(fact));
    const position = new Array<number>(order.length);
    order.forEach((ruleIndex, pos) => (position[ruleIndex] = pos));
    const unindexed: number[] = [];
    const reads = new Map<number, boolean>();
    // Params resolved through jsonpath-plus or a custom resolver may throw for any rule: no skipping then.
    const indexUsable = !(replace && (options.pathResolver || eventFactSlots.some((s) => !s.plainPath)));
    const bucketLists = new Map<number, Map<unknown, number[]>>();
    plan.forEach((entry, ruleIndex) => {
      const pos = position[ruleIndex];
      if (!entry || !indexUsable) {
        unindexed.push(pos);
        return;
      }
      let buckets = bucketLists.get(entry.slot);
      if (!buckets) bucketLists.set(entry.slot, (buckets = new Map()));
      for (const value of entry.values) {
        const list = buckets.get(value);
        if (list) list.push(pos);
        else buckets.set(value, [pos]);
      }
      for (const read of entry.reads) reads.set(read.slot, (reads.get(read.slot) ?? false) || read.primitive);
    });
    for (const [slot, buckets] of bucketLists) {
      this.indexSlots.push(slot);
      this.buckets.push(
        new Map([...buckets].map(([value, list]) => [value, Int32Array.from(list.sort((a, b) => a - b))])),
      );
    }
    if (replace)
      for (const s of eventFactSlots) reads.set(this.slots.slot(s.name), reads.get(this.slots.slot(s.name)) ?? false);
    this.indexReads = [...reads].map(([slot, primitive]) => ({ slot, primitive }));
    this.unindexed = Int32Array.from(unindexed.sort((a, b) => a - b));
    this.indexedRuleCount = order.length - unindexed.length;
    this.reader = this.newReader();
  }

  evaluate(facts?: Facts): EvaluationResult {
    this.refuseDerived();
    return this.evaluateNow(facts);
  }

  /** Derived facts need JSONata, which is asynchronous: the synchronous paths cannot compute them. */
  private refuseDerived(): void {
    if (this.derived.size > 0) throw new AsyncFactError(this.ruleSet.derivedFacts![0].name);
  }

  /** The given facts with the derived ones computed over them (a given value of a derived fact's name is replaced). */
  private async withDerived(facts: Facts | undefined): Promise<{ facts?: Facts; derived?: Record<string, unknown> }> {
    if (this.derived.size === 0) return { facts };
    const derived = await this.derived.derive(facts ?? {});
    const all: Facts = { ...facts };
    for (const fact of this.ruleSet.derivedFacts!) delete all[fact.name];
    return { facts: Object.assign(all, derived), derived };
  }

  private evaluateNow(facts?: Facts): EvaluationResult {
    const reader = this.acquire();
    try {
      // A lazy result keeps this evaluation's values, to build failure events and condition results from.
      reader.begin(facts, this.lazyResults);
      const rules = this.rules;
      const outcomes = new Outcomes(this.outcomeCount);
      this.precomputation.run(reader, outcomes);
      const events: RuleEvent[] = [];
      for (let p = 0; p < rules.length; p++) {
        const rule = rules[p];
        const result = rule.precomputed
          ? outcomes.result(rule.rootId)
          : outcomes.record(rule.rootId, rule.trace(reader, outcomes));
        // The engine resolves event params for failed rules too, so their reads can fail the run.
        readAll(reader, rule.firstEventReads);
        if (result) events.push(rule.event.build(reader.values));
      }
      return evaluationResult(rules, outcomes, reader.values, events, this.lazyResults);
    } finally {
      this.release(reader);
    }
  }

  async evaluateAsync(given?: Facts): Promise<EvaluationResult> {
    const { facts, derived } = await this.withDerived(given);
    let result: EvaluationResult;
    try {
      result = this.evaluateNow(facts);
    } catch (error) {
      if (!(error instanceof AsyncFactError)) throw error;
      result = await this.runner.run(facts);
    }
    if (derived) result.derivedFacts = derived;
    return result;
  }

  events(facts?: Facts): RuleEvent[] {
    this.refuseDerived();
    return this.eventsNow(facts);
  }

  private eventsNow(facts?: Facts): RuleEvent[] {
    const reader = this.acquire();
    try {
      reader.begin(facts);
      return this.indexedRuleCount > 0 && this.indexReadsHold(reader)
        ? this.indexedEvents(reader)
        : this.allEvents(reader);
    } finally {
      this.release(reader);
    }
  }

  async eventsAsync(given?: Facts): Promise<RuleEvent[]> {
    const { facts } = await this.withDerived(given);
    try {
      return this.eventsNow(facts);
    } catch (error) {
      if (error instanceof AsyncFactError) return (await this.runner.run(facts)).events;
      throw error;
    }
  }

  private allEvents(reader: FactReader): RuleEvent[] {
    const fired: RuleEvent[] = [];
    for (const rule of this.rules) {
      const result = rule.test(reader);
      readAll(reader, rule.firstEventReads);
      if (result) fired.push(rule.event.build(reader.values));
    }
    return fired;
  }

  /** Facts the skipped rules' first sets read are present and of a kind those reads cannot fail on. */
  private indexReadsHold(reader: FactReader): boolean {
    for (const read of this.indexReads) if (!reader.probe(read.slot, read.primitive)) return false;
    return true;
  }

  private indexedEvents(reader: FactReader): RuleEvent[] {
    const candidates = reader.candidates;
    let n = 0;
    let sources = 0;
    const unindexed = this.unindexed;
    if (unindexed.length > 0) {
      candidates.set(unindexed, 0);
      n = unindexed.length;
      sources++;
    }
    for (let i = 0; i < this.indexSlots.length; i++) {
      const bucket = this.buckets[i].get(reader.read(this.indexSlots[i]));
      if (bucket) {
        candidates.set(bucket, n);
        n += bucket.length;
        sources++;
      }
    }
    if (sources > 1) candidates.subarray(0, n).sort();
    const fired: RuleEvent[] = [];
    const rules = this.rules;
    for (let k = 0; k < n; k++) {
      const rule = rules[candidates[k]];
      if (rule.test(reader)) fired.push(rule.event.resolve(reader));
    }
    return fired;
  }

  private newReader(): FactReader {
    return new FactReader(this.slots, this.allowUndefinedFacts, this.rules.length);
  }

  /** The shared reader, or a fresh one when an operator evaluates this rule set from inside an evaluation. */
  private acquire(): FactReader {
    const reader = this.reader.busy ? this.newReader() : this.reader;
    reader.busy = true;
    return reader;
  }

  private release(reader: FactReader): void {
    reader.busy = false;
    reader.end();
  }
}

function readAll(reader: FactReader, slots: readonly number[]): void {
  for (let i = 0; i < slots.length; i++) reader.read(slots[i]);
}
