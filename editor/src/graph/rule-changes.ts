import type { Condition, RuleDefinition, RuleSetFile } from '@loopgate/contracts';
import { diffRuleSets, ruleRelativePath, type RuleSetChange, type RuleSetDiff } from '@loopgate/rules/core';
import { CONDITIONS_PATH, EVENT_PATH, childPath } from './paths';

/** How a node of a rule's graph fared between two versions; `unchanged` for everything not named. */
export type ChangeKind = 'added' | 'removed' | 'changed' | 'unchanged';

/** One rule across two versions; statuses keyed by the rule-relative JSON path of each node. */
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

/** The rules package's diff, laid out per rule for the side-by-side graphs. */
export interface RuleSetChanges {
  diff: RuleSetDiff;
  rules: RuleDiff[];
  facts: NamedChanges;
  sharedConditions: NamedChanges;
  conditions: RuleSetDiff['summary']['conditions'];
}

function mark(c: Condition, path: string, kind: ChangeKind, into: Record<string, ChangeKind>): void {
  into[path] = kind;
  if ('all' in c) c.all.forEach((x, i) => mark(x, childPath(path, 'all', i), kind, into));
  else if ('any' in c) c.any.forEach((x, i) => mark(x, childPath(path, 'any', i), kind, into));
  else if ('not' in c) mark(c.not, childPath(path, 'not', 0), kind, into);
}

function named(changes: RuleSetChange[], subject: 'fact' | 'shared-condition', key: (c: RuleSetChange) => string) {
  const out: NamedChanges = { added: [], removed: [], changed: [] };
  for (const c of changes) if (c.subject === subject) out[c.kind].push(key(c));
  return out;
}

function factName(c: RuleSetChange): string {
  return ((c.after ?? c.before) as { name: string }).name;
}

/**
 * Compares two versions with the rules package's `diffRuleSets` and marks, for each rule, every
 * node of both graphs: added, removed, changed or unchanged.
 *
 * @example ruleSetChanges(v3, draft).rules[0].afterPaths['$.conditions.all[1]'] // 'added'
 */
export function ruleSetChanges(before: RuleSetFile, after: RuleSetFile): RuleSetChanges {
  const diff = diffRuleSets(before, after);
  const indexOf = (file: RuleSetFile) => new Map(file.rules.map((r, i) => [r.name, i]));
  const beforeIndex = indexOf(before);
  const afterIndex = indexOf(after);
  const rules: RuleDiff[] = [];
  const build = (name: string): RuleDiff => {
    const b = beforeIndex.get(name);
    const a = afterIndex.get(name);
    const rule: RuleDiff = {
      name,
      status: 'unchanged',
      before: b === undefined ? undefined : before.rules[b],
      after: a === undefined ? undefined : after.rules[a],
      beforePaths: {},
      afterPaths: {},
    };
    if (rule.before) {
      mark(rule.before.conditions, CONDITIONS_PATH, rule.after ? 'unchanged' : 'removed', rule.beforePaths);
      rule.beforePaths[EVENT_PATH] = rule.after ? 'unchanged' : 'removed';
    }
    if (rule.after) {
      mark(rule.after.conditions, CONDITIONS_PATH, rule.before ? 'unchanged' : 'added', rule.afterPaths);
      rule.afterPaths[EVENT_PATH] = rule.before ? 'unchanged' : 'added';
    }
    if (!rule.before) rule.status = 'added';
    else if (!rule.after) rule.status = 'removed';
    for (const change of diff.changes.filter((c) => c.rule === name)) {
      if (change.subject === 'rule' && change.kind === 'changed') rule.status = 'changed';
      if (change.subject === 'event' || change.subject === 'priority') {
        rule.beforePaths[EVENT_PATH] = 'changed';
        rule.afterPaths[EVENT_PATH] = 'changed';
      }
      if (change.subject !== 'condition') continue;
      const beforePath = change.beforePath && b !== undefined ? ruleRelativePath(change.beforePath, b) : undefined;
      const afterPath = change.afterPath && a !== undefined ? ruleRelativePath(change.afterPath, a) : undefined;
      if (change.kind === 'removed' && beforePath)
        mark(change.before as Condition, beforePath, 'removed', rule.beforePaths);
      if (change.kind === 'added' && afterPath) mark(change.after as Condition, afterPath, 'added', rule.afterPaths);
      if (change.kind === 'changed') {
        if (beforePath) rule.beforePaths[beforePath] = 'changed';
        if (afterPath) rule.afterPaths[afterPath] = 'changed';
      }
    }
    return rule;
  };
  for (const r of after.rules) rules.push(build(r.name));
  for (const r of before.rules) if (!afterIndex.has(r.name)) rules.push(build(r.name));
  return {
    diff,
    rules,
    facts: named(diff.changes, 'fact', factName),
    sharedConditions: named(diff.changes, 'shared-condition', (c) => c.sharedCondition ?? ''),
    conditions: diff.summary.conditions,
  };
}
