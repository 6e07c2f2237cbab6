import type { Leaf } from './condition-sets';
import type { FactReader } from './fact-reader';
import { compareBuiltIn } from './operators';
import type { Outcomes } from './outcomes';

/** How a combination's outcome follows from its members' (booleans): every one true. */
export const ALL = 0;
/** Some member true. */
export const ANY = 1;
/** No member true (`not` of its one member). */
export const NONE = 2;

/** An all/any/not over members that are computed before it. */
export interface Combination {
  id: number;
  kind: number;
  members: readonly number[];
}

/**
 * What json-rules-engine evaluates whenever it evaluates a rule (the first priority set of every
 * list on the way from the root) and needs no dispatch per condition: built-in comparisons with a
 * literal, by fact and operator, then all/any/not over one priority set of those, children before
 * parents. Traced evaluation runs it before the rules: each comparison runs once, as in the engine,
 * in a tight loop, and the rules only read the outcomes.
 */
export class Precomputation {
  /** Column c compares fact slot columnSlots[c] by operator columnKinds[c] with leaves columnStarts[c] up to columnStarts[c + 1]. */
  private readonly columnSlots: number[] = [];
  private readonly columnKinds: number[] = [];
  private readonly columnStarts: number[] = [0];
  private readonly leafValues: unknown[] = [];
  private readonly leafIds: number[] = [];
  private readonly leafGateIds: number[] = [];
  private readonly leafNegates: boolean[] = [];
  private readonly combinationIds: number[];
  private readonly combinationKinds: number[];
  /** Combination c's members are memberIds[memberStarts[c]] up to memberIds[memberStarts[c + 1]]. */
  private readonly memberStarts: number[] = [0];
  private readonly memberIds: number[] = [];

  constructor(leaves: readonly Leaf[], combinations: readonly Combination[]) {
    const columns = new Map<string, Leaf[]>();
    for (const leaf of leaves) {
      const key = `${leaf.slot}:${leaf.kind}`;
      const column = columns.get(key);
      if (column) column.push(leaf);
      else columns.set(key, [leaf]);
    }
    for (const column of columns.values()) {
      this.columnSlots.push(column[0].slot);
      this.columnKinds.push(column[0].kind);
      for (const leaf of column) {
        this.leafValues.push(leaf.value);
        this.leafIds.push(leaf.id);
        this.leafGateIds.push(leaf.gateId);
        this.leafNegates.push(leaf.negate);
      }
      this.columnStarts.push(this.leafIds.length);
    }
    this.combinationIds = combinations.map((c) => c.id);
    this.combinationKinds = combinations.map((c) => c.kind);
    for (const c of combinations) {
      this.memberIds.push(...c.members);
      this.memberStarts.push(this.memberIds.length);
    }
  }

  run(f: FactReader, out: Outcomes): void {
    const { columnSlots, columnKinds, columnStarts, leafValues, leafIds, leafGateIds, leafNegates } = this;
    for (let c = 0; c < columnSlots.length; c++) {
      const factValue = f.read(columnSlots[c]);
      const kind = columnKinds[c];
      for (let i = columnStarts[c]; i < columnStarts[c + 1]; i++) {
        const result = out.recordBoolean(leafIds[i], compareBuiltIn(kind, factValue, leafValues[i]));
        if (leafGateIds[i] >= 0) out.recordBoolean(leafGateIds[i], result !== leafNegates[i]);
      }
    }
    const { combinationIds, combinationKinds, memberStarts, memberIds } = this;
    for (let c = 0; c < combinationIds.length; c++) {
      const start = memberStarts[c];
      const end = memberStarts[c + 1];
      let trues = 0;
      for (let m = start; m < end; m++) if (out.isTrue(memberIds[m])) trues++;
      const kind = combinationKinds[c];
      out.recordBoolean(
        combinationIds[c],
        kind === ALL ? trues === end - start : kind === ANY ? trues > 0 : trues === 0,
      );
    }
  }
}
