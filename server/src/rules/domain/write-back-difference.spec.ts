import type { RuleEvent } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { writeBackDifference } from './write-back-difference';

const feed = (value: number): RuleEvent => ({
  type: 'writeback',
  params: { action: 'set-parameter', parameter: 'FeedRate', value },
});
const hold: RuleEvent = { type: 'writeback', params: { action: 'hold-lot', lotId: 'LOT-7' } };

describe('writeBackDifference', () => {
  it('finds nothing when both sides asked for the same write-backs', () => {
    expect(writeBackDifference([feed(1100), hold], [hold, feed(1100)])).toEqual({ onlyCandidate: [], onlyLive: [] });
  });

  it('reports a changed value on both sides', () => {
    expect(writeBackDifference([feed(1100)], [feed(1200)])).toEqual({
      onlyCandidate: [feed(1100)],
      onlyLive: [feed(1200)],
    });
  });

  it('counts repeated requests', () => {
    expect(writeBackDifference([hold, hold], [hold])).toEqual({ onlyCandidate: [hold], onlyLive: [] });
  });

  it('ignores the order of keys', () => {
    const reordered: RuleEvent = { params: { lotId: 'LOT-7', action: 'hold-lot' }, type: 'writeback' };
    expect(writeBackDifference([reordered], [hold])).toEqual({ onlyCandidate: [], onlyLive: [] });
  });

  it('leaves out events that ask for no write-back', () => {
    expect(writeBackDifference([{ type: 'notice', params: { text: 'hot' } }], [])).toEqual({
      onlyCandidate: [],
      onlyLive: [],
    });
  });
});
