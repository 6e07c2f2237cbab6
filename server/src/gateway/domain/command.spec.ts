import { describe, expect, it } from 'vitest';
import { canMove, IllegalTransitionError, moveTo, toOutcome, type Command } from './command';

const command: Command = {
  id: 'c1',
  requestId: 'r1',
  state: 'queued',
  target: { kind: 'opcenter', instance: 'opc' },
  object: { type: 'recipe-parameter', id: 'R1' },
  action: 'set-parameter',
  parameter: 'FeedRate',
  value: 10,
  orderingKey: 'opc|recipe-parameter|R1|FeedRate',
  reason: 'test',
  notAfter: '2026-01-01T00:00:00.000Z',
  initiator: 'ai',
  requestedBy: 'token:t',
  lineage: {},
  attempts: 0,
  receivedAt: '2025-12-31T23:59:00.000Z',
  updatedAt: '2025-12-31T23:59:00.000Z',
};

describe('command life', () => {
  it('moves a queued command to applied', () => {
    expect(moveTo(command, 'applied', { newValue: 10 }, 'now')).toMatchObject({
      state: 'applied',
      newValue: 10,
      updatedAt: 'now',
    });
  });

  it('never moves a terminal command again', () => {
    const applied = moveTo(command, 'applied', {}, 'now');
    expect(() => moveTo(applied, 'failed', {}, 'later')).toThrow(IllegalTransitionError);
  });

  it('lets a pending command be approved, rejected or expired only', () => {
    expect(canMove('pending-approval', 'queued')).toBe(true);
    expect(canMove('pending-approval', 'applied')).toBe(false);
  });

  it('reports the requested value as the new value until the target confirms one', () => {
    expect(toOutcome(command)).toMatchObject({
      commandId: 'c1',
      state: 'queued',
      newValue: 10,
      timings: { receivedAt: command.receivedAt },
    });
  });
});
