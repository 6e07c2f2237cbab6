import type { ConditionResult } from '@loopgate/contracts';

/** Stored for a result of `undefined`, which would read the same as a condition never evaluated. */
const UNDEFINED_RESULT = Symbol('undefined result');

/**
 * One evaluation's outcomes by condition id (rule roots included), in one array instead of an
 * object per condition. An empty entry is a condition the engine would not have evaluated.
 */
export class Outcomes {
  private readonly results: unknown[];

  constructor(size: number) {
    this.results = new Array<unknown>(size);
  }

  /** Records `result` (custom operators may return anything) as the outcome of `id` and returns it. */
  record(id: number, result: unknown): unknown {
    this.results[id] = result === undefined ? UNDEFINED_RESULT : result;
    return result;
  }

  recordBoolean(id: number, result: boolean): boolean {
    this.results[id] = result;
    return result;
  }

  isTrue(id: number): boolean {
    return this.results[id] === true;
  }

  /** The recorded result, exactly as the condition returned it. */
  result(id: number): unknown {
    const result = this.results[id];
    return result === UNDEFINED_RESULT ? undefined : result;
  }

  /** A rule's `conditions` in json-rules-engine's result: the evaluated ones, in tree order. */
  conditionResults(templates: readonly ConditionTemplate[], values: readonly unknown[]): ConditionResult[] {
    const out: ConditionResult[] = [];
    for (let i = 0; i < templates.length; i++) {
      const t = templates[i];
      const recorded = this.results[t.id];
      if (recorded === undefined) continue;
      const result = (recorded === UNDEFINED_RESULT ? undefined : recorded) as boolean;
      if (t.factSlot < 0) out.push({ path: t.path, result });
      else {
        out.push({
          path: t.path,
          fact: t.fact,
          operator: t.operator,
          value: t.valueSlot < 0 ? t.value : values[t.valueSlot],
          factValue: values[t.factSlot],
          result,
        });
      }
    }
    return out;
  }
}

/**
 * How one condition appears in a rule's results, fixed when compiling; an evaluation adds only
 * the outcome and the values it read (by slot).
 */
export class ConditionTemplate {
  constructor(
    readonly id: number,
    readonly path: string,
    /** Fact conditions only; undefined for all/any/not and references. */
    readonly fact: string | undefined,
    readonly operator: string | undefined,
    /** The literal compared with, when `valueSlot` is -1. */
    readonly value: unknown,
    readonly valueSlot: number,
    readonly factSlot: number,
  ) {}

  static gate(id: number, path: string): ConditionTemplate {
    return new ConditionTemplate(id, path, undefined, undefined, undefined, -1, -1);
  }
}
