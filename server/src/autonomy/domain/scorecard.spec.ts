import { describe, expect, it } from 'vitest';
import { isoWeek, scorecards, type ScoredDecision } from './scorecard';

const row = (patch: Partial<ScoredDecision>): ScoredDecision => ({
  scopeId: 'opcenter-demo|FeedRate|tool-wear',
  modelId: 'tool-wear',
  modelVersion: '3.1',
  ruleSetId: 'tool-wear-feed-compensation',
  ruleSetVersion: 2,
  state: 'applied',
  reasonCode: null,
  approval: null,
  overridden: 0,
  reverted: 0,
  effectVerdict: null,
  feedback: null,
  receivedAt: '2026-12-01T10:00:00.000Z',
  ...patch,
});

describe('scorecards', () => {
  it('names ISO weeks across a year boundary', () => {
    expect(isoWeek('2026-12-03T10:00:00Z')).toBe('2026-W49');
    expect(isoWeek('2027-01-01T10:00:00Z')).toBe('2026-W53');
    expect(isoWeek('2025-12-29T00:00:00Z')).toBe('2026-W01');
  });

  it('counts per model and version with a weekly trend', () => {
    const cards = scorecards(
      [
        row({}),
        row({ state: 'rejected', reasonCode: 'OUT_OF_BOUNDS' }),
        row({ overridden: 1, receivedAt: '2026-12-08T10:00:00.000Z' }),
        row({ modelVersion: '3.2', approval: 'approved', reverted: 1, effectVerdict: 'adverse' }),
      ],
      'model',
    );
    expect(cards.map((c) => [c.key, c.version, c.proposals])).toEqual([
      ['tool-wear', '3.1', 3],
      ['tool-wear', '3.2', 1],
    ]);
    expect(cards[0]).toMatchObject({ applied: 2, refusedByCode: { OUT_OF_BOUNDS: 1 }, overridden: 1 });
    expect(cards[0].weeks.map((w) => [w.week, w.proposals])).toEqual([
      ['2026-W49', 2],
      ['2026-W50', 1],
    ]);
    expect(cards[1]).toMatchObject({ approved: 1, reverted: 1, effects: { adverse: 1 } });
  });

  it('groups by rule set version and leaves out decisions without one', () => {
    const cards = scorecards([row({}), row({ ruleSetId: null, ruleSetVersion: null })], 'rule-set');
    expect(cards.map((c) => [c.key, c.version, c.proposals])).toEqual([['tool-wear-feed-compensation', '2', 1]]);
  });
});
