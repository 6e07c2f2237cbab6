import { describe, expect, it } from 'vitest';
import { AutonomySettingsError, DEFAULT_AUTONOMY_SETTINGS, parseAutonomySettings } from './settings';

describe('autonomy site settings', () => {
  it('defaults to no scope when the section is absent', () => {
    expect(parseAutonomySettings(undefined)).toEqual(DEFAULT_AUTONOMY_SETTINGS);
  });

  it('reads scopes with their first level, effect check and thresholds over the defaults', () => {
    const settings = parseAutonomySettings({
      scopes: [
        {
          target: 'opcenter-demo',
          parameter: 'FeedRate',
          model: 'tool-wear',
          autoRevertAdverse: true,
          effect: { kpi: 'spindleLoad', expected: 'decrease', windowSeconds: 60, tolerance: 2 },
        },
      ],
      promotion: { supervised: { minShadowDecisions: 5 } },
      demotion: { minDecisions: 3 },
    });
    expect(settings.scopes[0]).toMatchObject({
      level: 'shadow',
      autoRevertAdverse: true,
      effect: { kpi: 'spindleLoad' },
    });
    expect(settings.promotion.supervised).toMatchObject({ minShadowDecisions: 5, minAgreement: 0.95, periodDays: 30 });
    expect(settings.demotion).toMatchObject({ minDecisions: 3, maxOverrideRate: 0.2 });
  });

  it('names every bad field, including unknown ones', () => {
    let error: unknown;
    try {
      parseAutonomySettings({
        scopes: [
          {
            target: 'a|b',
            level: 'free',
            effect: { kpi: 'x', expected: 'up', windowSeconds: 0, tolerance: 1, compare: 'median' },
          },
        ],
        promotion: { supervised: { minAgreement: 1.5, minShadowDecison: 3 } },
        extra: true,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AutonomySettingsError);
    expect((error as AutonomySettingsError).problems).toEqual(
      expect.arrayContaining([
        'extra: is not a known setting',
        'promotion.supervised.minShadowDecison: is not a known setting',
        'promotion.supervised.minAgreement: must be a number from 0 to 1',
        'scopes[0].target: must be a name or a pattern with "*"',
        'scopes[0].level: must be one of shadow, supervised, autonomous',
        'scopes[0].effect.expected: must be "increase" or "decrease"',
        'scopes[0].effect.windowSeconds: must be a positive integer',
        'scopes[0].effect.compare: must be "means" or "trend"',
      ]),
    );
  });

  it('refuses the same scope twice', () => {
    expect(() => parseAutonomySettings({ scopes: [{ model: 'm' }, { model: 'm' }] })).toThrow(/configured twice/);
  });
});
