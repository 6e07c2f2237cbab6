import type { WriteBackOutcome, WriteBackRequest } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { BackOff } from './output-node';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const request = (parameter: string): WriteBackRequest => ({
  requestId: `r-${parameter}`,
  lineage: {},
  target: { kind: 'opcenter', instance: 'opc' },
  object: { type: 'recipe-parameter', id: 'CNC-01/OP20' },
  action: 'set-parameter',
  parameter,
  value: 1,
  reason: 'x',
  notAfter: new Date(T0 + 60_000).toISOString(),
});
const outcome = (patch: Partial<WriteBackOutcome>) =>
  ({
    state: 'rejected',
    reasonCode: 'COOLDOWN',
    blockedUntil: new Date(T0 + 30_000).toISOString(),
    ...patch,
  }) as WriteBackOutcome;

describe('BackOff', () => {
  it('holds the refused key until blockedUntil, and only that key', () => {
    const backOff = new BackOff();
    backOff.note(request('FeedRate'), outcome({}));
    expect(backOff.blocked(request('FeedRate'), T0 + 29_999)).toEqual({ until: T0 + 30_000, code: 'COOLDOWN' });
    expect(backOff.blocked(request('SpindleSpeed'), T0 + 1)).toBeUndefined();
    expect(backOff.blocked(request('FeedRate'), T0 + 30_000)).toBeUndefined();
  });

  it('ignores answers that are not a refusal with a time', () => {
    const backOff = new BackOff();
    backOff.note(request('FeedRate'), outcome({ state: 'queued' }));
    backOff.note(request('FeedRate'), outcome({ blockedUntil: undefined, reasonCode: 'OUT_OF_BOUNDS' }));
    expect(backOff.blocked(request('FeedRate'), T0)).toBeUndefined();
  });
});
