import type { EvaluationResult, RuleEvent, RuleResult } from '@loopgate/contracts';
import type { ConditionTemplate, Outcomes } from './outcomes';
import type { RuleEventTemplate } from './rule-event';

/** What a rule's entry in the results needs from its compiled form. */
export interface RuleResultShape {
  readonly name: string;
  readonly priority: number;
  /** The id its own result is recorded under. */
  readonly rootId: number;
  readonly event: RuleEventTemplate;
  readonly conditions: readonly ConditionTemplate[];
}

/**
 * One evaluation as recorded: outcomes by condition id and the values read by slot. Failure
 * events and per-rule results are built from it when first read, exactly as they were then.
 */
class RecordedEvaluation {
  private eventsByRule: RuleEvent[] | undefined;

  constructor(
    private readonly rules: readonly RuleResultShape[],
    private readonly outcomes: Outcomes,
    private readonly values: readonly unknown[],
    /** The fired events as returned, in rule order, so results hold the very same objects. */
    private readonly fired: readonly RuleEvent[],
  ) {}

  failureEvents(): RuleEvent[] {
    const events = this.ruleEvents();
    const failed: RuleEvent[] = [];
    for (let p = 0; p < this.rules.length; p++) if (!this.outcomes.result(this.rules[p].rootId)) failed.push(events[p]);
    return failed;
  }

  results(): RuleResult[] {
    const events = this.ruleEvents();
    const results = new Array<RuleResult>(this.rules.length);
    for (let p = 0; p < this.rules.length; p++) {
      const rule = this.rules[p];
      results[p] = {
        name: rule.name,
        priority: rule.priority,
        result: this.outcomes.result(rule.rootId) as boolean,
        event: events[p],
        conditions: this.outcomes.conditionResults(rule.conditions, this.values),
      };
    }
    return results;
  }

  /** Every rule's event by position: fired ones as returned, failed ones built from the recorded values. */
  private ruleEvents(): RuleEvent[] {
    if (this.eventsByRule) return this.eventsByRule;
    const events = new Array<RuleEvent>(this.rules.length);
    let next = 0;
    for (let p = 0; p < this.rules.length; p++) {
      const rule = this.rules[p];
      events[p] = this.outcomes.result(rule.rootId) ? this.fired[next++] : rule.event.build(this.values);
    }
    this.eventsByRule = events;
    return events;
  }
}

/** Where a lazily built result keeps its recording: not enumerable, so serializing, cloning and comparing skip it. */
const RECORDED = Symbol('recorded evaluation');

type LazyResult = EvaluationResult & { [RECORDED]: RecordedEvaluation };

/** Shared accessors: per-result closures would give every result its own hidden class (and old-space garbage). */
const LAZY_PROPERTIES: PropertyDescriptorMap = {
  failureEvents: {
    get(this: LazyResult) {
      return settle(this, 'failureEvents', this[RECORDED].failureEvents());
    },
    set(this: LazyResult, value: RuleEvent[]) {
      settle(this, 'failureEvents', value);
    },
    enumerable: true,
    configurable: true,
  },
  results: {
    get(this: LazyResult) {
      return settle(this, 'results', this[RECORDED].results());
    },
    set(this: LazyResult, value: RuleResult[]) {
      settle(this, 'results', value);
    },
    enumerable: true,
    configurable: true,
  },
  [RECORDED]: { value: undefined, writable: true, enumerable: false, configurable: true },
};

/**
 * json-rules-engine's results for one evaluation: `events` built eagerly; with `lazy`,
 * `failureEvents` and `results` on first read (then kept as plain properties). Serialized, cloned
 * or compared, the object is indistinguishable from one built eagerly.
 */
export function evaluationResult(
  rules: readonly RuleResultShape[],
  outcomes: Outcomes,
  values: readonly unknown[],
  events: RuleEvent[],
  lazy: boolean,
): EvaluationResult {
  if (!lazy) {
    const recorded = new RecordedEvaluation(rules, outcomes, values, events);
    return { events, failureEvents: recorded.failureEvents(), results: recorded.results() };
  }
  // A copy of the fired events, so results still hold them if the caller changes `events` first.
  const recorded = new RecordedEvaluation(rules, outcomes, values, events.slice());
  const result = { events } as LazyResult;
  Object.defineProperties(result, LAZY_PROPERTIES);
  result[RECORDED] = recorded;
  return result;
}

/** Replaces the accessor with a plain data property, in place, so key order is kept. */
function settle<K extends 'failureEvents' | 'results'>(
  result: EvaluationResult,
  key: K,
  value: EvaluationResult[K],
): EvaluationResult[K] {
  Object.defineProperty(result, key, { value, writable: true, enumerable: true, configurable: true });
  return value;
}
