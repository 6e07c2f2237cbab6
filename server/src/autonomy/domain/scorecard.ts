import type { EffectVerdict } from './effect';

/** One AI decision as a scorecard counts it. */
export interface ScoredDecision {
  scopeId: string;
  modelId: string;
  modelVersion: string | null;
  ruleSetId: string | null;
  ruleSetVersion: number | null;
  state: string;
  reasonCode: string | null;
  approval: string | null;
  overridden: number;
  reverted: number;
  effectVerdict: string | null;
  feedback: string | null;
  receivedAt: string;
}

export const SCORECARD_GROUPS = ['model', 'rule-set', 'scope'] as const;
export type ScorecardGroup = (typeof SCORECARD_GROUPS)[number];

export interface ScorecardFigures {
  proposals: number;
  shadow: number;
  applied: number;
  refusedByCode: Record<string, number>;
  approved: number;
  rejected: number;
  overridden: number;
  reverted: number;
  effects: Record<EffectVerdict, number>;
  feedbackRight: number;
  feedbackWrong: number;
}

export interface Scorecard extends ScorecardFigures {
  group: ScorecardGroup;
  /** The model id, rule set id or scope id. */
  key: string;
  /** The model or rule set version ('' for a scope). */
  version: string;
  /** Per ISO week (`2026-W49`), oldest first. */
  weeks: ({ week: string } & ScorecardFigures)[];
}

const empty = (): ScorecardFigures => ({
  proposals: 0,
  shadow: 0,
  applied: 0,
  refusedByCode: {},
  approved: 0,
  rejected: 0,
  overridden: 0,
  reverted: 0,
  effects: { improved: 0, 'no-change': 0, adverse: 0, 'no-data': 0 },
  feedbackRight: 0,
  feedbackWrong: 0,
});

function add(figures: ScorecardFigures, d: ScoredDecision): void {
  figures.proposals++;
  if (d.state === 'shadow') figures.shadow++;
  if (d.state === 'applied' || d.reverted) figures.applied++;
  if ((d.state === 'rejected' || d.state === 'expired') && d.reasonCode && d.approval !== 'rejected')
    figures.refusedByCode[d.reasonCode] = (figures.refusedByCode[d.reasonCode] ?? 0) + 1;
  if (d.approval === 'approved') figures.approved++;
  if (d.approval === 'rejected') figures.rejected++;
  if (d.overridden > 0) figures.overridden++;
  if (d.reverted) figures.reverted++;
  if (d.effectVerdict && d.effectVerdict in figures.effects) figures.effects[d.effectVerdict as EffectVerdict]++;
  if (d.feedback === 'right') figures.feedbackRight++;
  if (d.feedback === 'wrong') figures.feedbackWrong++;
}

/** ISO 8601 week of a time, e.g. `2026-W49` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(iso: string): string {
  const date = new Date(iso);
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function keyOf(group: ScorecardGroup, d: ScoredDecision): [string, string] | undefined {
  if (group === 'model') return [d.modelId, d.modelVersion ?? ''];
  if (group === 'rule-set')
    return d.ruleSetId ? [d.ruleSetId, d.ruleSetVersion === null ? '' : String(d.ruleSetVersion)] : undefined;
  return d.scopeId ? [d.scopeId, ''] : undefined;
}

/**
 * Scorecards of AI decisions, one per model and version, rule set and version, or scope, with a
 * trend per ISO week.
 *
 * @example scorecards(rows, 'model')[0] // { key: 'tool-wear', version: '3.1', proposals: 212, ... }
 */
export function scorecards(decisions: readonly ScoredDecision[], group: ScorecardGroup): Scorecard[] {
  const cards = new Map<string, { card: Scorecard; weeks: Map<string, ScorecardFigures> }>();
  for (const d of decisions) {
    const key = keyOf(group, d);
    if (!key) continue;
    const id = JSON.stringify(key);
    let entry = cards.get(id);
    if (!entry) {
      entry = { card: { group, key: key[0], version: key[1], ...empty(), weeks: [] }, weeks: new Map() };
      cards.set(id, entry);
    }
    add(entry.card, d);
    const week = isoWeek(d.receivedAt);
    let figures = entry.weeks.get(week);
    if (!figures) entry.weeks.set(week, (figures = empty()));
    add(figures, d);
  }
  return [...cards.values()]
    .map(({ card, weeks }) => ({
      ...card,
      weeks: [...weeks.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([week, f]) => ({ week, ...f })),
    }))
    .sort((a, b) => a.key.localeCompare(b.key) || a.version.localeCompare(b.version));
}
