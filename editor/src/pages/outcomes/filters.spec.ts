import type { WriteBackOutcome } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { NO_FILTER, canRevert, facets, matchesFilter } from './filters';

const base: WriteBackOutcome = {
  commandId: 'c1',
  requestId: 'r1',
  state: 'applied',
  target: { kind: 'opcenter', instance: 'opcenter-line1' },
  object: {
    type: 'recipe-parameter',
    id: 'CNC-01/OP20',
    equipment: { site: 'Plant-A', workCenter: 'Line-1', workUnit: 'CNC-01' },
  },
  action: 'set-parameter',
  parameter: 'FeedRate',
  priorValue: 1200,
  newValue: 1180,
  initiator: 'ai',
  lineage: {},
  timings: { receivedAt: '2026-11-22T10:00:00.000Z' },
};

describe('outcome filters', () => {
  it('keeps an outcome of the chosen site', () => {
    expect(matchesFilter(base, { ...NO_FILTER, site: 'Plant-A' })).toBe(true);
  });

  it('drops an outcome of another line', () => {
    expect(matchesFilter(base, { ...NO_FILTER, line: 'Line-2' })).toBe(false);
  });

  it('matches equipment by the work unit of a parameter’s object', () => {
    expect(matchesFilter(base, { ...NO_FILTER, equipment: 'CNC-01' })).toBe(true);
  });

  it('drops human changes when only AI changes are wanted', () => {
    expect(matchesFilter({ ...base, initiator: 'human' }, { ...NO_FILTER, aiOnly: true })).toBe(false);
  });

  it('counts a queued change as open', () => {
    expect(matchesFilter({ ...base, state: 'queued' }, { ...NO_FILTER, state: 'open' })).toBe(true);
  });

  it('lists each target once', () => {
    expect(facets([base, { ...base, commandId: 'c2' }]).targets).toEqual(['opcenter-line1']);
  });

  it('offers revert for an applied change', () => {
    expect(canRevert(base, [base])).toBe(true);
  });

  it('does not offer revert twice', () => {
    expect(canRevert(base, [base, { ...base, commandId: 'c2', state: 'queued', revertOf: 'c1' }])).toBe(false);
  });

  it('does not offer revert for a change the gateway says was reverted already', () => {
    expect(canRevert({ ...base, revertedBy: 'c9' }, [base])).toBe(false);
  });

  it('does not offer revert for a change that was not applied', () => {
    expect(canRevert({ ...base, state: 'rejected' }, [])).toBe(false);
  });
});
