import { describe, expect, it } from 'vitest';
import { CncCellProcess, NOMINAL_FEED_RATE } from './cnc-cell-process';

describe('CncCellProcess', () => {
  it('starts with a new tool at the nominal feed rate, about 40 % spindle load', () => {
    const cell = new CncCellProcess({ seed: 1 });
    const start = cell.snapshot();
    expect(start).toMatchObject({
      feedRate: NOMINAL_FEED_RATE,
      toolWear: 0,
      spindleInterlock: true,
      maintenanceMode: false,
    });
    expect(start.spindleLoad).toBeGreaterThan(38);
    expect(start.spindleLoad).toBeLessThan(42);
  });

  it('wears the tool while cutting, and the spindle load rises with the wear', () => {
    const cell = new CncCellProcess({ seed: 1, wearPerSecond: 0.01, noise: 0 });
    cell.advance(60_000);
    expect(cell.snapshot().toolWear).toBeCloseTo(0.6, 5);
    expect(cell.snapshot().spindleLoad).toBeCloseTo(40 + 50 * 0.6, 5);
  });

  it('wears faster at a higher feed rate and loads the spindle less at a lower one', () => {
    const fast = new CncCellProcess({ wearPerSecond: 0.01, noise: 0, initialFeedRate: 2400 });
    fast.advance(10_000);
    expect(fast.snapshot().toolWear).toBeCloseTo(0.2, 5);
    const slow = new CncCellProcess({ noise: 0 });
    slow.setFeedRate(600);
    expect(slow.snapshot().spindleLoad).toBeCloseTo(20, 5);
  });

  it('resets the wear on a tool change', () => {
    const cell = new CncCellProcess({ initialToolWear: 0.9, noise: 0 });
    cell.toolChange();
    expect(cell.snapshot()).toMatchObject({ toolWear: 0, spindleLoad: 40 });
  });

  it('stops the spindle and the wear in maintenance mode or with the interlock open', () => {
    const cell = new CncCellProcess({ initialToolWear: 0.5, wearPerSecond: 0.01 });
    cell.setMaintenanceMode(true);
    cell.advance(10_000);
    expect(cell.snapshot()).toMatchObject({ toolWear: 0.5, spindleLoad: 0 });
    cell.setMaintenanceMode(false);
    cell.setSpindleInterlock(false);
    expect(cell.snapshot().spindleLoad).toBe(0);
  });

  it('keeps the noise within its amplitude and reproducible from the seed', () => {
    const a = new CncCellProcess({ seed: 42, noise: 2 });
    const b = new CncCellProcess({ seed: 42, noise: 2 });
    for (let i = 0; i < 50; i += 1) {
      a.advance(0);
      b.advance(0);
      expect(a.snapshot().spindleLoad).toBe(b.snapshot().spindleLoad);
      expect(Math.abs(a.snapshot().spindleLoad - 40)).toBeLessThanOrEqual(2);
    }
  });

  it('clamps the wear to 1', () => {
    const cell = new CncCellProcess({ initialToolWear: 0.99, wearPerSecond: 1 });
    cell.advance(5_000);
    expect(cell.snapshot().toolWear).toBe(1);
  });
});
