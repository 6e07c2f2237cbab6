import { describe, expect, it } from 'vitest';
import { toolWearRule } from './fixtures';
import { COLUMN_WIDTH, autoLayout } from './layout';

describe('autoLayout', () => {
  it('places each condition one column left of the gate it feeds', () => {
    const layout = autoLayout(toolWearRule);
    expect(layout['$.conditions'].x - layout['$.conditions.all[0]'].x).toBe(COLUMN_WIDTH);
  });

  it('places the event right of everything', () => {
    const layout = autoLayout(toolWearRule);
    const xs = Object.entries(layout)
      .filter(([p]) => p !== '$.event')
      .map(([, v]) => v.x);
    expect(layout['$.event'].x).toBeGreaterThan(Math.max(...xs));
  });

  it('never puts two nodes on the same spot', () => {
    const spots = Object.values(autoLayout(toolWearRule)).map((p) => `${p.x},${p.y}`);
    expect(new Set(spots).size).toBe(spots.length);
  });
});
