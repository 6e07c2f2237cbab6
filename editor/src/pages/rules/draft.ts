import { RULE_SET_SCHEMA_VERSION, type RuleSetFile } from '@loopgate/contracts';
import type { RuleLayout } from '../../graph';

/** The rule set an engineer is editing, kept in this browser until it is submitted as a version. */
export interface RuleSetDraft {
  content: RuleSetFile;
  /** The version this draft started from; undefined for a new rule set. */
  baseVersion?: number;
  savedAt?: string;
}

const PREFIX = 'loopgate.draft.';
const LAYOUT_PREFIX = 'loopgate.layout.';

/** Node positions of each rule (by rule name): kept beside the rule file, never inside it, across versions. */
export function loadLayouts(id: string): Record<string, RuleLayout> {
  try {
    return JSON.parse(window.localStorage.getItem(LAYOUT_PREFIX + id) ?? '{}') as Record<string, RuleLayout>;
  } catch (error) {
    console.warn(`layouts of ${id} unreadable, using automatic layout`, error);
    return {};
  }
}

export function saveLayouts(id: string, layouts: Record<string, RuleLayout>): void {
  window.localStorage.setItem(LAYOUT_PREFIX + id, JSON.stringify(layouts));
}

export function loadDraft(id: string): RuleSetDraft | undefined {
  const raw = window.localStorage.getItem(PREFIX + id);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as RuleSetDraft;
  } catch (error) {
    console.warn(`draft of ${id} unreadable, dropped`, error);
    window.localStorage.removeItem(PREFIX + id);
    return undefined;
  }
}

export function saveDraft(draft: RuleSetDraft): void {
  window.localStorage.setItem(
    PREFIX + draft.content.id,
    JSON.stringify({ ...draft, savedAt: new Date().toISOString() }),
  );
}

export function discardDraft(id: string): void {
  window.localStorage.removeItem(PREFIX + id);
}

/** Rule sets that exist only as drafts in this browser (not yet submitted). */
export function localDraftIds(): string[] {
  const ids: string[] = [];
  for (let i = 0; i < window.localStorage.length; i++) {
    const key = window.localStorage.key(i);
    if (key?.startsWith(PREFIX)) ids.push(key.slice(PREFIX.length));
  }
  return ids.sort();
}

export function newRuleSet(id: string, name: string, description?: string): RuleSetFile {
  return {
    schemaVersion: RULE_SET_SCHEMA_VERSION,
    id,
    name,
    ...(description ? { description } : {}),
    facts: [],
    rules: [],
  };
}

/** A quick shape check for JSON pasted into the JSON tab; the gateway's validation does the rest. */
export function parseRuleSetJson(text: string): { ok: true; value: RuleSetFile } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
  const file = value as Partial<RuleSetFile>;
  if (!file || typeof file !== 'object' || Array.isArray(file))
    return { ok: false, message: 'A rule set is a JSON object.' };
  if (typeof file.id !== 'string' || typeof file.name !== 'string')
    return { ok: false, message: 'A rule set needs a string `id` and `name`.' };
  if (typeof file.schemaVersion !== 'number')
    return { ok: false, message: 'A rule set needs a numeric `schemaVersion`.' };
  if (!Array.isArray(file.facts) || !Array.isArray(file.rules))
    return { ok: false, message: 'A rule set needs `facts` and `rules` arrays.' };
  for (const [i, rule] of file.rules.entries()) {
    if (!rule || typeof rule !== 'object' || typeof rule.name !== 'string')
      return { ok: false, message: `$.rules[${i}] needs a string \`name\`.` };
    const c = rule.conditions as unknown as Record<string, unknown> | undefined;
    if (!c || typeof c !== 'object' || !('all' in c || 'any' in c || 'not' in c || 'condition' in c)) {
      return {
        ok: false,
        message: `$.rules[${i}].conditions must be an \`all\`, \`any\`, \`not\` or \`condition\` object.`,
      };
    }
    if (!rule.event || typeof rule.event.type !== 'string')
      return { ok: false, message: `$.rules[${i}].event needs a string \`type\`.` };
  }
  const names = file.rules.map((r) => r.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined)
    return {
      ok: false,
      message: `Two rules are named “${duplicate}”: rule names identify rules in diffs and layouts.`,
    };
  return { ok: true, value: file as RuleSetFile };
}
