import { describe, expect, it } from 'vitest';
import { OverrideTracker } from './override-detection';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('OverrideTracker', () => {
  it('sees nothing on a key the gateway never wrote', () => {
    expect(new OverrideTracker().observe('k', 5, T0, 60)).toBeUndefined();
  });

  it('sees nothing while the value is what the gateway wrote', () => {
    const tracker = new OverrideTracker();
    tracker.recordWrite('k', 5, 'c1', new Date(T0).toISOString());
    expect(tracker.observe('k', 5, T0, 60)).toBeUndefined();
    expect(tracker.isHeld('k', T0)).toBe(false);
  });

  it('reports a changed value once and holds the key for the cooldown', () => {
    const tracker = new OverrideTracker();
    tracker.recordWrite('k', 5, 'c1', new Date(T0).toISOString());
    const seen = tracker.observe('k', 7, T0 + 1000, 60);
    expect(seen).toMatchObject({ written: 5, found: 7, state: { commandId: 'c1' } });
    expect(tracker.observe('k', 7, T0 + 2000, 60)).toBeUndefined();
    expect(tracker.isHeld('k', T0 + 60_000)).toBe(true);
    expect(tracker.isHeld('k', T0 + 61_000)).toBe(false);
  });

  it('reports a second, different override again', () => {
    const tracker = new OverrideTracker();
    tracker.recordWrite('k', 5, 'c1', new Date(T0).toISOString());
    tracker.observe('k', 7, T0, 60);
    expect(tracker.observe('k', 8, T0, 60)).toMatchObject({ found: 8 });
  });

  it('keeps an existing hold when the gateway writes again (a revert)', () => {
    const tracker = new OverrideTracker();
    tracker.recordWrite('k', 5, 'c1', new Date(T0).toISOString());
    tracker.observe('k', 7, T0, 60);
    tracker.recordWrite('k', 5, 'c2', new Date(T0 + 1000).toISOString());
    expect(tracker.isHeld('k', T0 + 2000)).toBe(true);
  });

  it('names who changed the value where the target says, and nobody where it does not', () => {
    const tracker = new OverrideTracker();
    tracker.recordWrite('k', 5, 'c1', new Date(T0).toISOString());
    expect(tracker.observe('k', 7, T0, 60, 'jdoe')).toMatchObject({ found: 7, changedBy: 'jdoe' });
    tracker.recordWrite('k', 5, 'c2', new Date(T0).toISOString());
    expect(tracker.observe('k', 8, T0, 60)).not.toHaveProperty('changedBy');
  });

  it("does not take the gateway's own unconfirmed write, landing late, for someone else's change", () => {
    const tracker = new OverrideTracker();
    tracker.recordWrite('k', 5, 'c1', new Date(T0).toISOString());
    tracker.recordSent('k', 9, 'c2');
    expect(tracker.observe('k', 9, T0 + 1000, 60)).toBeUndefined();
    expect(tracker.isHeld('k', T0 + 1000)).toBe(false);
    expect(tracker.get('k')).toMatchObject({ value: 9, commandId: 'c2' });
    expect(tracker.observe('k', 4, T0 + 2000, 60)).toMatchObject({ written: 9, found: 4 });
  });

  it('forgets unconfirmed writes once a later write is applied', () => {
    const tracker = new OverrideTracker();
    tracker.recordSent('k', 9, 'c2');
    tracker.recordWrite('k', 5, 'c3', new Date(T0).toISOString());
    expect(tracker.observe('k', 9, T0, 60)).toMatchObject({ written: 5, found: 9 });
  });
});
