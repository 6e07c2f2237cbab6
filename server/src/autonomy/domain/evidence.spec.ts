import { describe, expect, it } from 'vitest';
import { demotionTrigger, evidenceOf, unmetThresholds, type DecisionFacts, type DemotionPolicy } from './evidence';

const shadow = (feedback?: 'right' | 'wrong'): DecisionFacts => ({
  level: 'shadow',
  state: 'shadow',
  overridden: 0,
  reverted: false,
  feedback,
});
const applied = (patch: Partial<DecisionFacts> = {}): DecisionFacts => ({
  level: 'autonomous',
  state: 'applied',
  overridden: 0,
  reverted: false,
  ...patch,
});

describe('evidence', () => {
  it('counts shadow decisions, agreement, signatures, refusals by code, overrides, reverts and effects', () => {
    const evidence = evidenceOf([
      shadow('right'),
      shadow('right'),
      shadow('wrong'),
      shadow(),
      { level: 'supervised', state: 'applied', approval: 'approved', overridden: 0, reverted: false },
      {
        level: 'supervised',
        state: 'rejected',
        reasonCode: 'APPROVAL_REJECTED',
        approval: 'rejected',
        overridden: 0,
        reverted: false,
      },
      { level: 'shadow', state: 'rejected', reasonCode: 'SAFETY_INTERLOCK', overridden: 0, reverted: false },
      applied({ overridden: 2 }),
      applied({ state: 'applied', reverted: true, verdict: 'adverse' }),
    ]);
    expect(evidence).toMatchObject({
      shadowDecisions: 4,
      agreed: 2,
      disagreed: 1,
      supervisedApproved: 1,
      supervisedRejected: 1,
      approvalRate: 0.5,
      interlockRefusals: 1,
      refusedByCode: { SAFETY_INTERLOCK: 1 },
      overridden: 1,
      reverted: 1,
      applied: 3,
    });
    expect(evidence.agreement).toBeCloseTo(2 / 3);
    expect(evidence.effects.adverse).toBe(1);
  });

  it('has no agreement figure when nobody marked a shadow decision', () => {
    expect(evidenceOf([shadow()]).agreement).toBeNull();
  });
});

describe('promotion thresholds', () => {
  const thresholds = { periodDays: 30, minShadowDecisions: 3, minAgreement: 0.95, maxInterlockRefusals: 0 };

  it('names every threshold missed, with a stable code and the figures', () => {
    const issues = unmetThresholds(evidenceOf([shadow('right'), shadow('wrong')]), thresholds);
    expect(issues.map((i) => i.code)).toEqual(['SHADOW_DECISIONS', 'AGREEMENT']);
    expect(issues[0]).toMatchObject({ threshold: 3, actual: 2 });
  });

  it('refuses an unknown agreement when one is required', () => {
    const issues = unmetThresholds(evidenceOf([shadow(), shadow(), shadow()]), thresholds);
    expect(issues).toEqual([expect.objectContaining({ code: 'AGREEMENT', actual: null })]);
  });

  it('refuses on a single interlock refusal when none is allowed', () => {
    const rows = [
      shadow('right'),
      shadow('right'),
      shadow('right'),
      { ...shadow(), state: 'rejected', reasonCode: 'SAFETY_INTERLOCK' },
    ];
    expect(unmetThresholds(evidenceOf(rows), thresholds).map((i) => i.code)).toEqual(['INTERLOCK_REFUSALS']);
  });

  it('is met exactly at the thresholds', () => {
    expect(unmetThresholds(evidenceOf([shadow('right'), shadow('right'), shadow('right')]), thresholds)).toEqual([]);
  });
});

describe('demotion window', () => {
  const policy: DemotionPolicy = { windowHours: 24, minDecisions: 5, maxOverrideRate: 0.5, maxAdverseRate: 0.5 };

  it('does not judge a rate before enough decisions are behind it', () => {
    expect(
      demotionTrigger(evidenceOf([applied({ overridden: 1 }), applied({ overridden: 1 })]), policy),
    ).toBeUndefined();
  });

  it('does not demote at the threshold, only past it', () => {
    const rows = [applied({ overridden: 1 }), applied({ overridden: 1 }), applied(), applied(), applied()];
    expect(demotionTrigger(evidenceOf(rows), { ...policy, maxOverrideRate: 0.4 })).toBeUndefined();
  });

  it('demotes when the override rate passes its threshold, with the figures', () => {
    const rows = [
      applied({ overridden: 1 }),
      applied({ overridden: 1 }),
      applied({ overridden: 1 }),
      applied(),
      applied(),
    ];
    expect(demotionTrigger(evidenceOf(rows), policy)).toEqual({
      rule: 'override-rate',
      count: 3,
      of: 5,
      rate: 0.6,
      threshold: 0.5,
    });
  });

  it('judges the adverse-effect rate over effects with data only', () => {
    const rows = [
      ...Array.from({ length: 3 }, () => applied({ verdict: 'adverse' })),
      ...Array.from({ length: 2 }, () => applied({ verdict: 'improved' })),
      ...Array.from({ length: 5 }, () => applied({ verdict: 'no-data' })),
    ];
    expect(demotionTrigger(evidenceOf(rows), policy)).toMatchObject({ rule: 'adverse-effect-rate', count: 3, of: 5 });
  });
});
