import type { FactReader } from './fact-reader';
import { compareBuiltIn } from './operators';
import type { Outcomes } from './outcomes';

/** What json-rules-engine's `evaluateCondition` resolves to, computed synchronously. */
export type ConditionTest = (facts: FactReader) => unknown;
/** The same, also recording each evaluated condition's outcome by its id. */
export type ConditionTrace = (facts: FactReader, outcomes: Outcomes) => unknown;

/**
 * A built-in operator compared with a literal, possibly alone under an all/any/not gate. Priority
 * sets run leaves inline rather than calling them.
 */
export interface Leaf {
  /** `BUILT_IN_KIND` of the operator. */
  kind: number;
  slot: number;
  value: unknown;
  id: number;
  /** The id of the gate holding just this comparison, or -1. */
  gateId: number;
  /** The gate is `not`. */
  negate: boolean;
}

/** A compiled condition as its parent list runs it. */
export interface CompiledCondition {
  test: ConditionTest;
  trace: ConditionTrace;
  leaf?: Leaf;
  /** Set when `Precomputation` computes it before the rules run: where its outcome is recorded. */
  recordedId?: number;
}

/** In a priority set's kinds: not a leaf, so the condition is called. */
const CALL = 0;

/**
 * One priority set of a list: every condition in it runs. Leaves are compared inline and the rest
 * called; when traced, what `Precomputation` computed is only read.
 */
export class PrioritySet {
  readonly size: number;
  /** Whether `Precomputation` computes every condition of the set. */
  readonly precomputed: boolean;
  /** Per condition: its leaf's operator kind (`BUILT_IN_KIND`), or CALL. */
  private readonly kinds: number[];
  private readonly slots: number[];
  private readonly values: unknown[];
  private readonly ids: number[];
  private readonly gateIds: number[];
  private readonly negates: boolean[];
  /** Per condition: where `Precomputation` recorded its outcome, or -1. */
  private readonly recordedIds: number[];
  private readonly tests: ConditionTest[];
  private readonly traces: ConditionTrace[];

  constructor(conditions: readonly CompiledCondition[]) {
    this.size = conditions.length;
    this.kinds = conditions.map((c) => c.leaf?.kind ?? CALL);
    this.slots = conditions.map((c) => c.leaf?.slot ?? -1);
    this.values = conditions.map((c) => c.leaf?.value);
    this.ids = conditions.map((c) => c.leaf?.id ?? -1);
    this.gateIds = conditions.map((c) => c.leaf?.gateId ?? -1);
    this.negates = conditions.map((c) => c.leaf?.negate ?? false);
    this.recordedIds = conditions.map((c) => c.recordedId ?? -1);
    this.precomputed = this.recordedIds.every((id) => id >= 0);
    this.tests = conditions.map((c) => c.test);
    this.traces = conditions.map((c) => c.trace);
  }

  /** How many conditions gave `true`: json-rules-engine's all/any compare each with `=== true`. */
  countTrue(f: FactReader): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const kind = this.kinds[i];
      if (kind === CALL) {
        if (this.tests[i](f) === true) n++;
      } else if (compareBuiltIn(kind, f.read(this.slots[i]), this.values[i]) !== this.negates[i]) n++;
    }
    return n;
  }

  countTrueTraced(f: FactReader, out: Outcomes): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) {
      const recordedId = this.recordedIds[i];
      if (recordedId >= 0) {
        if (out.isTrue(recordedId)) n++;
        continue;
      }
      const kind = this.kinds[i];
      if (kind === CALL) {
        if (this.traces[i](f, out) === true) n++;
        continue;
      }
      const result = out.recordBoolean(this.ids[i], compareBuiltIn(kind, f.read(this.slots[i]), this.values[i]));
      const gateId = this.gateIds[i];
      if (gateId < 0 ? result : out.recordBoolean(gateId, result !== this.negates[i])) n++;
    }
    return n;
  }

  /** Where each condition's outcome is recorded, for a precomputed set. */
  get outcomeIds(): readonly number[] {
    return this.recordedIds;
  }
}
