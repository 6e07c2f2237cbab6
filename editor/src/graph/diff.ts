import type { Condition, RuleDefinition, RuleSetFile } from '@loopgate/contracts';
import { jsonEqual } from './json';
import { CONDITIONS_PATH, EVENT_PATH, childPath } from './paths';

export type ChangeKind = 'added' | 'removed' | 'changed' | 'unchanged';

/** One rule compared across two versions; statuses are keyed by the JSON path of each node. */
export interface RuleDiff {
  name: string;
  status: ChangeKind;
  before?: RuleDefinition;
  after?: RuleDefinition;
  beforePaths: Record<string, ChangeKind>;
  afterPaths: Record<string, ChangeKind>;
}

export interface NamedChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface RuleSetDiff {
  rules: RuleDiff[];
  facts: NamedChanges;
  sharedConditions: NamedChanges;
  /** Condition counts over all rules, what a reviewer reads first. */
  conditions: { added: number; removed: number; changed: number };
}

type Kind = 'all' | 'any' | 'not' | 'ref' | 'fact';

function kindOf(c: Condition): Kind {
  if ('all' in c) return 'all';
  if ('any' in c) return 'any';
  if ('not' in c) return 'not';
  if ('condition' in c) return 'ref';
  return 'fact';
}

function inputsOf(c: Condition, path: string): { condition: Condition; path: string }[] {
  const kind = kindOf(c);
  if (kind === 'all' || kind === 'any') {
    return (c as Record<typeof kind, Condition[]>)[kind].map((x, i) => ({
      condition: x,
      path: childPath(path, kind, i),
    }));
  }
  if (kind === 'not') return [{ condition: (c as { not: Condition }).not, path: childPath(path, 'not', 0) }];
  return [];
}

function ownFields(c: Condition): Record<string, unknown> {
  const own: Record<string, unknown> = { ...c };
  delete own.all;
  delete own.any;
  delete own.not;
  return own;
}

function mark(c: Condition, path: string, kind: ChangeKind, into: Record<string, ChangeKind>): void {
  into[path] = kind;
  for (const input of inputsOf(c, path)) mark(input.condition, input.path, kind, into);
}

/** Longest common subsequence of equal items: the pairs of indices that did not change. */
function commonPairs(a: Condition[], b: Condition[]): [number, number][] {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i][j] = jsonEqual(a[i], b[j]) ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (jsonEqual(a[i], b[j])) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (table[i + 1][j] >= table[i][j + 1]) i++;
    else j++;
  }
  return pairs;
}

/** Two conditions are the same one edited (not a removal plus an addition) when they are the same kind on the same fact. */
function similar(a: Condition, b: Condition): boolean {
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  if (kind === 'fact') return (a as { fact: string }).fact === (b as { fact: string }).fact;
  return true;
}

function diffCondition(
  a: Condition,
  b: Condition,
  pa: string,
  pb: string,
  before: Record<string, ChangeKind>,
  after: Record<string, ChangeKind>,
): void {
  if (jsonEqual(a, b)) {
    mark(a, pa, 'unchanged', before);
    mark(b, pb, 'unchanged', after);
    return;
  }
  if (!similar(a, b)) {
    mark(a, pa, 'removed', before);
    mark(b, pb, 'added', after);
    return;
  }
  const kind = kindOf(a);
  if (kind === 'fact' || kind === 'ref') {
    before[pa] = 'changed';
    after[pb] = 'changed';
    return;
  }
  const own = jsonEqual(ownFields(a), ownFields(b)) ? 'unchanged' : 'changed';
  before[pa] = own;
  after[pb] = own;
  const ia = inputsOf(a, pa);
  const ib = inputsOf(b, pb);
  const anchors = [
    ...commonPairs(
      ia.map((x) => x.condition),
      ib.map((x) => x.condition),
    ),
    [ia.length, ib.length] as [number, number],
  ];
  let i = 0;
  let j = 0;
  for (const [ai, bj] of anchors) {
    while (i < ai && j < bj && similar(ia[i].condition, ib[j].condition)) {
      diffCondition(ia[i].condition, ib[j].condition, ia[i].path, ib[j].path, before, after);
      i++;
      j++;
    }
    for (; i < ai; i++) mark(ia[i].condition, ia[i].path, 'removed', before);
    for (; j < bj; j++) mark(ib[j].condition, ib[j].path, 'added', after);
    if (ai < ia.length) diffCondition(ia[ai].condition, ib[bj].condition, ia[ai].path, ib[bj].path, before, after);
    i = ai + 1;
    j = bj + 1;
  }
}

function ruleEventPart(rule: RuleDefinition): unknown {
  return { name: rule.name, priority: rule.priority, event: rule.event };
}

/** Compares one rule across versions; a rule's identity is its name. */
export function diffRule(before: RuleDefinition | undefined, after: RuleDefinition | undefined): RuleDiff {
  const name = (after ?? before)!.name;
  const beforePaths: Record<string, ChangeKind> = {};
  const afterPaths: Record<string, ChangeKind> = {};
  if (!before || !after) {
    const rule = (after ?? before)!;
    const kind: ChangeKind = after ? 'added' : 'removed';
    const into = after ? afterPaths : beforePaths;
    mark(rule.conditions, CONDITIONS_PATH, kind, into);
    into[EVENT_PATH] = kind;
    return { name, status: kind, before, after, beforePaths, afterPaths };
  }
  diffCondition(before.conditions, after.conditions, CONDITIONS_PATH, CONDITIONS_PATH, beforePaths, afterPaths);
  const eventKind: ChangeKind = jsonEqual(ruleEventPart(before), ruleEventPart(after)) ? 'unchanged' : 'changed';
  beforePaths[EVENT_PATH] = eventKind;
  afterPaths[EVENT_PATH] = eventKind;
  const status: ChangeKind = jsonEqual(before, after) ? 'unchanged' : 'changed';
  return { name, status, before, after, beforePaths, afterPaths };
}

function namedChanges<T>(before: Map<string, T>, after: Map<string, T>): NamedChanges {
  const changes: NamedChanges = { added: [], removed: [], changed: [] };
  for (const [name, value] of after) {
    if (!before.has(name)) changes.added.push(name);
    else if (!jsonEqual(before.get(name), value)) changes.changed.push(name);
  }
  for (const name of before.keys()) if (!after.has(name)) changes.removed.push(name);
  return changes;
}

/**
 * What changed between two versions of a rule set: rules, conditions (added, removed, changed),
 * facts and shared conditions. Inputs of a gate are aligned so an insertion does not show as
 * every later condition changing.
 */
export function diffRuleSets(before: RuleSetFile, after: RuleSetFile): RuleSetDiff {
  const beforeRules = new Map(before.rules.map((r) => [r.name, r]));
  const afterRules = new Map(after.rules.map((r) => [r.name, r]));
  const rules: RuleDiff[] = [];
  for (const rule of after.rules) rules.push(diffRule(beforeRules.get(rule.name), rule));
  for (const rule of before.rules) if (!afterRules.has(rule.name)) rules.push(diffRule(rule, undefined));
  const conditions = { added: 0, removed: 0, changed: 0 };
  for (const rule of rules) {
    for (const [path, kind] of Object.entries(rule.afterPaths)) {
      if (path === EVENT_PATH) continue;
      if (kind === 'added') conditions.added++;
      if (kind === 'changed') conditions.changed++;
    }
    for (const [path, kind] of Object.entries(rule.beforePaths))
      if (path !== EVENT_PATH && kind === 'removed') conditions.removed++;
  }
  return {
    rules,
    facts: namedChanges(new Map(before.facts.map((f) => [f.name, f])), new Map(after.facts.map((f) => [f.name, f]))),
    sharedConditions: namedChanges(
      new Map(Object.entries(before.sharedConditions ?? {})),
      new Map(Object.entries(after.sharedConditions ?? {})),
    ),
    conditions,
  };
}
