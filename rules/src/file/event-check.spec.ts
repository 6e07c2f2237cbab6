import type { RuleEvent } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { TARGET_CATALOGUE } from '@loopgate/contracts';
import { checkWriteBackEvent } from './event-check';

const facts = new Map([
  ['feedRate', 'number'],
  ['reducedFeedRate', 'number'],
  ['machineId', 'string'],
  ['alarms', 'array'],
] as const);
const check = (params: Record<string, unknown>, type = 'writeback') =>
  checkWriteBackEvent({ type, params } as RuleEvent, '$.rules[0].event', TARGET_CATALOGUE, facts).map(
    (i) => `${i.code} ${i.path.replace('$.rules[0].event.params.', '')}`,
  );
const setFeed = { action: 'set-parameter', targetKind: 'opcenter', parameter: 'FeedRate' };

describe('checkWriteBackEvent (against the palette’s target catalogue)', () => {
  it('accepts a complete set-parameter event reading a number fact', () => {
    expect(check({ ...setFeed, value: { fact: 'reducedFeedRate' } })).toEqual([]);
  });

  it('refuses an event with no action, target or value', () => {
    expect(check({})).toEqual(['REQUIRED action', 'REQUIRED targetKind']);
    expect(check({ action: 'set-parameter', targetKind: 'opcenter' })).toEqual([
      'REQUIRED parameter',
      'REQUIRED value',
    ]);
  });

  it('refuses a formula typed as text', () => {
    expect(check({ ...setFeed, value: 'feedRate * 0.95' })).toEqual(['VALUE_IS_FORMULA value']);
  });

  it('refuses a value read from a list fact', () => {
    expect(check({ ...setFeed, value: { fact: 'alarms' } })).toEqual(['INVALID_TYPE value']);
  });

  it('refuses an action the target does not offer', () => {
    expect(check({ action: 'hold-lot', targetKind: 'cmms' })).toEqual(['ACTION_NOT_OFFERED action']);
  });

  it('refuses an object type the action does not act on', () => {
    expect(check({ ...setFeed, value: 1, objectType: 'material-lot' })).toEqual(['INVALID_VALUE objectType']);
  });

  it('requires an action’s required details and checks number details', () => {
    expect(check({ action: 'create-maintenance-work-order', targetKind: 'cmms', priority: 'high' })).toEqual([
      'INVALID_TYPE priority',
    ]);
    expect(check({ action: 'update-work-order-status', targetKind: 'cmms', objectType: 'work-order' })).toEqual([
      'REQUIRED status',
    ]);
    // A status may come as the write's value instead, as the adapters take it.
    expect(
      check({ action: 'update-work-order-status', targetKind: 'cmms', objectType: 'work-order', value: 'COMP' }),
    ).toEqual([]);
  });

  it('leaves events that are not write-backs alone', () => {
    expect(check({}, 'notify')).toEqual([]);
  });
});
