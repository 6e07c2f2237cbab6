import type { Condition, RuleSetFile } from '@loopgate/contracts';
import { canonicalJson, canonicalRuleSet } from './canonical';
import { indexPath, jsonEqual, propertyPath } from './json-path';

export type ChangeKind = 'added' | 'removed' | 'changed';

/** What a change is about; the console highlights rules, conditions and events differently. */
export type ChangeSubject =
  'rule-set' | 'fact' | 'shared-condition' | 'rule' | 'rule-order' | 'priority' | 'condition' | 'event';

/**
 * One difference between two versions. Paths address the field in each version's file
 * (`$.rules[3].conditions.all[1]`), so both sides of a side-by-side view can be marked.
 */
export interface RuleSetChange {
  kind: ChangeKind;
  subject: ChangeSubject;
  /** The rule the change belongs to, by name (rules are matched by name across versions). */
  rule?: string;
  /** The shared condition the change belongs to, by name. */
  sharedCondition?: string;
  beforePath?: string;
  afterPath?: string;
  before?: unknown;
  after?: unknown;
}

export interface RuleSetDiff {
  /** True when both versions have the same canonical form (and so the same checksum). */
  identical: boolean;
  changes: RuleSetChange[];
  summary: {
    rules: { added: number; removed: number; changed: number };
    conditions: { added: number; removed: number; changed: number };
  };
}

type Kind = 'all' | 'any' | 'not' | 'condition' | 'fact';

function kindOf(c: Condition): Kind {
  for (const k of ['any', 'all', 'not', 'condition'] as const) if (Object.hasOwn(c, k)) return k;
  return 'fact';
}

/** A gate's own fields without its inputs; a leaf's fields as they are. */
function ownFields(c: Condition): Record<string, unknown> {
  const own: Record<string, unknown> = { ...c };
  delete own.all;
  delete own.any;
  delete own.not;
  return own;
}

/** Longest common subsequence of equal items: the anchors between which the rest is paired up. */
function commonAnchors(a: readonly unknown[], b: readonly unknown[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const table = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i][j] = jsonEqual(a[i], b[j]) ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const anchors: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (jsonEqual(a[i], b[j])) {
      anchors.push([i, j]);
      i++;
      j++;
    } else if (table[i + 1][j] >= table[i][j + 1]) i++;
    else j++;
  }
  return anchors;
}

class Differ {
  readonly changes: RuleSetChange[] = [];

  private push(change: RuleSetChange): void {
    this.changes.push(change);
  }

  conditions(
    a: Condition,
    b: Condition,
    pathA: string,
    pathB: string,
    owner: Pick<RuleSetChange, 'rule' | 'sharedCondition'>,
  ): void {
    if (jsonEqual(a, b)) return;
    const kind = kindOf(a);
    if (kind !== kindOf(b)) {
      this.push({
        kind: 'changed',
        subject: 'condition',
        ...owner,
        beforePath: pathA,
        afterPath: pathB,
        before: a,
        after: b,
      });
      return;
    }
    if (!jsonEqual(ownFields(a), ownFields(b))) {
      this.push({
        kind: 'changed',
        subject: 'condition',
        ...owner,
        beforePath: pathA,
        afterPath: pathB,
        before: ownFields(a),
        after: ownFields(b),
      });
    }
    if (kind === 'not') {
      this.conditions(
        (a as { not: Condition }).not,
        (b as { not: Condition }).not,
        `${pathA}.not`,
        `${pathB}.not`,
        owner,
      );
    } else if (kind === 'all' || kind === 'any') {
      this.inputs(
        (a as Record<typeof kind, Condition[]>)[kind],
        (b as Record<typeof kind, Condition[]>)[kind],
        `${pathA}.${kind}`,
        `${pathB}.${kind}`,
        owner,
      );
    }
  }

  /** Aligns two input lists on their unchanged members; what lies between is paired as changed, the rest added or removed. */
  private inputs(
    a: Condition[],
    b: Condition[],
    pathA: string,
    pathB: string,
    owner: Pick<RuleSetChange, 'rule' | 'sharedCondition'>,
  ): void {
    const anchors = [...commonAnchors(a, b), [a.length, b.length] as [number, number]];
    let i = 0;
    let j = 0;
    for (const [ai, bj] of anchors) {
      while (i < ai && j < bj) this.conditions(a[i], b[j], indexPath(pathA, i++), indexPath(pathB, j++), owner);
      for (; i < ai; i++)
        this.push({ kind: 'removed', subject: 'condition', ...owner, beforePath: indexPath(pathA, i), before: a[i] });
      for (; j < bj; j++)
        this.push({ kind: 'added', subject: 'condition', ...owner, afterPath: indexPath(pathB, j), after: b[j] });
      i = ai + 1;
      j = bj + 1;
    }
  }

  named<T extends { name: string }>(
    before: readonly T[],
    after: readonly T[],
    base: string,
    subject: 'fact' | 'rule',
    onChanged: (x: T, y: T, pathA: string, pathB: string) => void,
  ): void {
    const afterIndex = new Map(after.map((x, i) => [x.name, i]));
    const beforeIndex = new Map(before.map((x, i) => [x.name, i]));
    before.forEach((x, i) => {
      const j = afterIndex.get(x.name);
      const owner = subject === 'rule' ? { rule: x.name } : {};
      if (j === undefined) this.push({ kind: 'removed', subject, ...owner, beforePath: indexPath(base, i), before: x });
      else if (!jsonEqual(x, after[j])) onChanged(x, after[j], indexPath(base, i), indexPath(base, j));
    });
    after.forEach((y, j) => {
      if (!beforeIndex.has(y.name)) {
        this.push({
          kind: 'added',
          subject,
          ...(subject === 'rule' ? { rule: y.name } : {}),
          afterPath: indexPath(base, j),
          after: y,
        });
      }
    });
  }
}

/**
 * What changed from one version of a rule set to the next: rules (matched by name), their
 * priority, conditions and event, facts and shared conditions, each with its path in both files.
 *
 * @example
 * diffRuleSets(v3, v4).changes
 * // [{ kind: 'changed', subject: 'condition', rule: 'reduce-feed', beforePath: '$.rules[0].conditions.all[1]',
 * //    afterPath: '$.rules[0].conditions.all[1]', before: { fact: 'spindleLoad', operator: 'greaterThan', value: 80 }, after: { … value: 85 } }]
 */
export function diffRuleSets(before: RuleSetFile, after: RuleSetFile): RuleSetDiff {
  const a = canonicalRuleSet(before);
  const b = canonicalRuleSet(after);
  const differ = new Differ();
  for (const key of ['schemaVersion', 'id', 'name', 'description'] as const) {
    if (!jsonEqual(a[key], b[key])) {
      differ.changes.push({
        kind: 'changed',
        subject: 'rule-set',
        beforePath: `$.${key}`,
        afterPath: `$.${key}`,
        before: a[key],
        after: b[key],
      });
    }
  }
  differ.named(a.facts, b.facts, '$.facts', 'fact', (x, y, pathA, pathB) =>
    differ.changes.push({ kind: 'changed', subject: 'fact', beforePath: pathA, afterPath: pathB, before: x, after: y }),
  );
  const sharedA = a.sharedConditions ?? {};
  const sharedB = b.sharedConditions ?? {};
  for (const name of new Set([...Object.keys(sharedA), ...Object.keys(sharedB)])) {
    const pathName = propertyPath('$.sharedConditions', name);
    const inA = Object.hasOwn(sharedA, name);
    const inB = Object.hasOwn(sharedB, name);
    if (!inB)
      differ.changes.push({
        kind: 'removed',
        subject: 'shared-condition',
        sharedCondition: name,
        beforePath: pathName,
        before: sharedA[name],
      });
    else if (!inA)
      differ.changes.push({
        kind: 'added',
        subject: 'shared-condition',
        sharedCondition: name,
        afterPath: pathName,
        after: sharedB[name],
      });
    else if (!jsonEqual(sharedA[name], sharedB[name])) {
      differ.changes.push({
        kind: 'changed',
        subject: 'shared-condition',
        sharedCondition: name,
        beforePath: pathName,
        afterPath: pathName,
      });
      differ.conditions(sharedA[name], sharedB[name], pathName, pathName, { sharedCondition: name });
    }
  }
  differ.named(a.rules, b.rules, '$.rules', 'rule', (x, y, pathA, pathB) => {
    differ.changes.push({ kind: 'changed', subject: 'rule', rule: x.name, beforePath: pathA, afterPath: pathB });
    if ((x.priority ?? 1) !== (y.priority ?? 1)) {
      differ.changes.push({
        kind: 'changed',
        subject: 'priority',
        rule: x.name,
        beforePath: `${pathA}.priority`,
        afterPath: `${pathB}.priority`,
        before: x.priority ?? 1,
        after: y.priority ?? 1,
      });
    }
    differ.conditions(x.conditions, y.conditions, `${pathA}.conditions`, `${pathB}.conditions`, { rule: x.name });
    if (!jsonEqual(canonicalJson(x.event), canonicalJson(y.event))) {
      differ.changes.push({
        kind: 'changed',
        subject: 'event',
        rule: x.name,
        beforePath: `${pathA}.event`,
        afterPath: `${pathB}.event`,
        before: x.event,
        after: y.event,
      });
    }
  });
  // Same rules in another order: results within a priority come out in the new order.
  const kept = (list: { name: string }[], other: Set<string>) => list.map((r) => r.name).filter((n) => other.has(n));
  const orderA = kept(a.rules, new Set(b.rules.map((r) => r.name)));
  const orderB = kept(b.rules, new Set(a.rules.map((r) => r.name)));
  if (!jsonEqual(orderA, orderB)) {
    differ.changes.push({
      kind: 'changed',
      subject: 'rule-order',
      beforePath: '$.rules',
      afterPath: '$.rules',
      before: orderA,
      after: orderB,
    });
  }
  const count = (subject: ChangeSubject, kind: ChangeKind) =>
    differ.changes.filter((c) => c.subject === subject && c.kind === kind).length;
  return {
    identical: jsonEqual(a, b),
    changes: differ.changes,
    summary: {
      rules: { added: count('rule', 'added'), removed: count('rule', 'removed'), changed: count('rule', 'changed') },
      conditions: {
        added: count('condition', 'added'),
        removed: count('condition', 'removed'),
        changed: count('condition', 'changed'),
      },
    },
  };
}
