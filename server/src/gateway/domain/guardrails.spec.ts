import { describe, expect, it } from 'vitest';
import {
  checkBounds,
  checkExpiry,
  checkInterlock,
  checkRecordState,
  checkStep,
  DEFAULT_POLICY,
  effectiveNotAfter,
  admissionHorizonMs,
  admissionLimits,
  admissionRefusal,
  admissionTime,
  admit,
  type GuardrailPolicy,
  type GuardrailSubject,
} from './guardrails';

const policy = (patch: Partial<GuardrailPolicy>): GuardrailPolicy => ({ ...DEFAULT_POLICY, ...patch });
const subject = (patch: Partial<GuardrailSubject> = {}): GuardrailSubject => ({
  action: 'set-parameter',
  objectType: 'recipe-parameter',
  objectId: 'CNC-01/OP20',
  parameter: 'FeedRate',
  value: 1200,
  initiator: 'ai',
  isRevert: false,
  ...patch,
});

describe('checkInterlock', () => {
  const interlocked = policy({ interlocks: [{ parameter: 'Interlock*' }, { parameter: 'Guard', object: 'CNC-02/*' }] });

  it('refuses a safety-interlock parameter with SAFETY_INTERLOCK', () => {
    expect(checkInterlock(interlocked, subject({ parameter: 'InterlockBypass' }))?.code).toBe('SAFETY_INTERLOCK');
  });

  it('refuses it for a revert too', () => {
    expect(checkInterlock(interlocked, subject({ parameter: 'InterlockBypass', isRevert: true }))?.code).toBe(
      'SAFETY_INTERLOCK',
    );
  });

  it('lets other parameters through', () => {
    expect(checkInterlock(interlocked, subject())).toBeUndefined();
  });

  it('applies an object-scoped interlock only to matching objects', () => {
    expect(checkInterlock(interlocked, subject({ parameter: 'Guard', objectId: 'CNC-02/OP10' }))?.code).toBe(
      'SAFETY_INTERLOCK',
    );
    expect(checkInterlock(interlocked, subject({ parameter: 'Guard', objectId: 'CNC-01/OP10' }))).toBeUndefined();
  });
});

describe('checkBounds', () => {
  const bounded = policy({ limits: [{ parameter: 'FeedRate', min: 100, max: 2000 }] });

  it('accepts a value inside the bounds, the bounds included', () => {
    expect(checkBounds(bounded, subject({ value: 100 }))).toBeUndefined();
    expect(checkBounds(bounded, subject({ value: 2000 }))).toBeUndefined();
  });

  it('refuses a value below the minimum with OUT_OF_BOUNDS', () => {
    expect(checkBounds(bounded, subject({ value: 99.9 }))?.code).toBe('OUT_OF_BOUNDS');
  });

  it('refuses a value above the maximum with OUT_OF_BOUNDS', () => {
    expect(checkBounds(bounded, subject({ value: 2000.1 }))?.code).toBe('OUT_OF_BOUNDS');
  });

  it('refuses a non-numeric value for a bounded parameter with TYPE_MISMATCH', () => {
    expect(checkBounds(bounded, subject({ value: '1500' }))?.code).toBe('TYPE_MISMATCH');
  });

  it('applies the strictest of several matching limits', () => {
    const two = policy({
      limits: [
        { parameter: '*', max: 5000 },
        { parameter: 'FeedRate', max: 1500 },
      ],
    });
    expect(checkBounds(two, subject({ value: 1600 }))?.code).toBe('OUT_OF_BOUNDS');
  });

  it('ignores parameters without limits', () => {
    expect(checkBounds(bounded, subject({ parameter: 'SpindleSpeed', value: 99_999 }))).toBeUndefined();
  });
});

describe('checkStep', () => {
  const absolute = policy({ limits: [{ parameter: 'FeedRate', maxStep: 50 }] });
  const percent = policy({ limits: [{ parameter: 'FeedRate', maxStepPercent: 5 }] });

  it('accepts a step within the absolute maximum', () => {
    expect(checkStep(absolute, subject({ value: 1250 }), 1200)).toBeUndefined();
  });

  it('refuses a step above the absolute maximum with STEP_TOO_LARGE', () => {
    expect(checkStep(absolute, subject({ value: 1251 }), 1200)?.code).toBe('STEP_TOO_LARGE');
  });

  it('measures downward steps too', () => {
    expect(checkStep(absolute, subject({ value: 1100 }), 1200)?.code).toBe('STEP_TOO_LARGE');
  });

  it('refuses a step above the percentage of the prior value', () => {
    expect(checkStep(percent, subject({ value: 1261 }), 1200)?.code).toBe('STEP_TOO_LARGE');
    expect(checkStep(percent, subject({ value: 1260 }), 1200)).toBeUndefined();
  });

  it('refuses when the prior value is unknown, so the step cannot be measured', () => {
    expect(checkStep(percent, subject(), null)?.code).toBe('STEP_TOO_LARGE');
    expect(checkStep(percent, subject(), 'n/a')?.code).toBe('STEP_TOO_LARGE');
  });

  it('reads a numeric prior value given as a string', () => {
    expect(checkStep(absolute, subject({ value: 1210 }), '1200')).toBeUndefined();
  });

  it('does not limit the step of a revert', () => {
    expect(checkStep(absolute, subject({ value: 2000, isRevert: true }), 1200)).toBeUndefined();
  });
});

describe('checkExpiry and effectiveNotAfter', () => {
  it('expires a command at or after notAfter', () => {
    expect(checkExpiry('2026-01-01T00:00:00.000Z', Date.parse('2026-01-01T00:00:00.000Z'))?.code).toBe('EXPIRED');
  });

  it('keeps a command before notAfter', () => {
    expect(checkExpiry('2026-01-01T00:00:01.000Z', Date.parse('2026-01-01T00:00:00.000Z'))).toBeUndefined();
  });

  it('caps notAfter at the target maximum time to live', () => {
    const received = Date.parse('2026-01-01T00:00:00.000Z');
    expect(effectiveNotAfter(policy({ maxTtlSeconds: 30 }), '2026-01-01T01:00:00.000Z', received)).toBe(
      '2026-01-01T00:00:30.000Z',
    );
    expect(effectiveNotAfter(policy({ maxTtlSeconds: 30 }), '2026-01-01T00:00:10.000Z', received)).toBe(
      '2026-01-01T00:00:10.000Z',
    );
  });
});

describe('checkRecordState', () => {
  it('refuses an audited record with RECORD_LOCKED', () => {
    expect(checkRecordState({ locked: false, audited: true }, true)?.code).toBe('RECORD_LOCKED');
  });

  it('refuses a locked record on a target without explicit locks', () => {
    expect(checkRecordState({ locked: true, audited: false }, false)?.code).toBe('RECORD_LOCKED');
  });

  it('lets the dispatcher wait for the lock where the target has locks', () => {
    expect(checkRecordState({ locked: true, audited: false }, true)).toBeUndefined();
  });

  it('accepts an open record', () => {
    expect(checkRecordState({ locked: false, audited: false }, false)).toBeUndefined();
  });
});

describe('admission: rate and cooldown judged on the stored times of a key', () => {
  const rated = admissionLimits(
    policy({ limits: [{ parameter: 'FeedRate', maxWrites: 2, windowSeconds: 60 }] }),
    subject(),
  );
  const cooled = admissionLimits(policy({ limits: [{ parameter: 'FeedRate', cooldownSeconds: 10 }] }), subject());

  it('accepts writes up to the maximum per window', () => {
    expect(admissionRefusal([0], rated, 1000)).toBeUndefined();
  });

  it('refuses the write beyond the maximum with RATE_LIMITED', () => {
    expect(admissionRefusal([0, 1000], rated, 2000)?.code).toBe('RATE_LIMITED');
  });

  it('accepts again once the window has slid past old writes', () => {
    expect(admissionRefusal([0, 1000], rated, 60_500)).toBeUndefined();
  });

  it('says when a rate-limited write would fit again', () => {
    // Writes at 0 and 1000 fill a 2-per-60 s window; the one at 0 leaves it at 60 000.
    expect(admissionRefusal([0, 1000], rated, 2000)).toMatchObject({ blockedUntil: 60_000, retryAfterMs: 58_000 });
    expect(admissionRefusal([0, 1000], rated, 60_000)).toBeUndefined();
  });

  it('says when a cooled-down write would fit again', () => {
    expect(admissionRefusal([500], cooled, 2000)).toMatchObject({ blockedUntil: 10_500, retryAfterMs: 8_500 });
  });

  it('judges a write asked at a time before the newest admitted one by every window that would hold it', () => {
    // Found by the property test: two writes at 0, then one at 1000 from a process whose clock runs
    // ahead, then one at 950 from a process whose clock runs behind. The window (-50, 950] would
    // hold three; before, the write at 1000 had dropped the two at 0 and the one at 950 was admitted.
    const second = admissionLimits(
      policy({ limits: [{ parameter: 'FeedRate', maxWrites: 2, windowSeconds: 1 }] }),
      subject(),
    );
    let times = admit(admit([], second, 0), second, 0);
    expect(admissionRefusal(times, second, 1000)).toBeUndefined();
    times = admit(times, second, 1000);
    expect(times).toEqual([0, 0, 1000]);
    expect(admissionRefusal(times, second, 950)?.code).toBe('RATE_LIMITED');
    // A later write within a window of it counts too: 1000 and 1500 fill the window ending at 1500.
    expect(admissionRefusal([1000, 1500], second, 400)).toBeUndefined();
    expect(admissionRefusal([1000, 1500], second, 600)?.code).toBe('RATE_LIMITED');
  });

  it('holds a cooldown on both sides of a write asked before the newest one', () => {
    expect(admissionRefusal([10_000], cooled, 5_000)?.code).toBe('COOLDOWN');
    expect(admissionRefusal([10_000], cooled, 0)).toBeUndefined();
  });

  it('judges a write from a clock far behind at the edge of what the key remembers', () => {
    const second = admissionLimits(
      policy({ limits: [{ parameter: 'FeedRate', maxWrites: 2, windowSeconds: 1 }] }),
      subject(),
    );
    expect(admissionTime([5_000], second, 1_000)).toBe(4_000);
    expect(admissionTime([5_000], second, 4_800)).toBe(4_800);
    expect(admissionTime([], second, 1_000)).toBe(1_000);
  });

  it('refuses a write within the cooldown with COOLDOWN', () => {
    expect(admissionRefusal([0], cooled, 9_999)?.code).toBe('COOLDOWN');
    expect(admissionRefusal([0], cooled, 10_000)).toBeUndefined();
  });

  it('has no limits for a revert, and none where no limit counts writes', () => {
    const limits = policy({ limits: [{ parameter: 'FeedRate', cooldownSeconds: 10, min: 0 }] });
    expect(admissionLimits(limits, subject({ isRevert: true }))).toEqual([]);
    expect(admissionLimits(policy({ limits: [{ parameter: 'FeedRate', min: 0 }] }), subject())).toEqual([]);
  });

  it('keeps only the times the limits still need: two horizons back, at most twice the maximum and one', () => {
    // A write may be asked up to a horizon before the newest, and is judged a horizon further back.
    expect(admit([0, 1000, 2000], rated, 61_500)).toEqual([0, 1000, 2000, 61_500]);
    expect(admit([0, 1000, 2000], rated, 121_000)).toEqual([2000, 121_000]);
    expect(admit([0, 1, 2, 3, 4, 5], rated, 6)).toEqual([2, 3, 4, 5, 6]);
    expect(admit([0], cooled, 19_999)).toEqual([0, 19_999]);
    expect(admit([0], cooled, 20_000)).toEqual([20_000]);
    expect(admissionHorizonMs([...rated, ...cooled])).toBe(60_000);
  });
});
