import type { WriteBackOutcome } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { mergeOutcome, parseStreamMessage } from './stream';

const outcome = (
  commandId: string,
  state: WriteBackOutcome['state'],
  receivedAt = '2026-11-22T10:00:00.000Z',
): WriteBackOutcome => ({
  commandId,
  requestId: `r-${commandId}`,
  state,
  target: { kind: 'opcenter', instance: 'opcenter-demo' },
  object: { type: 'recipe-parameter', id: 'CNC-01/OP20' },
  action: 'set-parameter',
  initiator: 'ai',
  lineage: {},
  timings: { receivedAt },
});

describe('parseStreamMessage', () => {
  it('reads the typed envelope', () => {
    expect(parseStreamMessage('{"type":"control","control":{"stopped":true}}')).toEqual({
      type: 'control',
      control: { stopped: true },
    });
  });

  it('reads a bare outcome as an outcome', () => {
    expect(parseStreamMessage(JSON.stringify(outcome('c1', 'queued')))?.type).toBe('outcome');
  });

  it('reads a bare decision as a decision', () => {
    expect(
      parseStreamMessage('{"ruleSetId":"tool-wear","ruleSetVersion":1,"time":"t","facts":{},"firedEvents":[]}')?.type,
    ).toBe('decision');
  });

  it('ignores a heartbeat that is not JSON', () => {
    expect(parseStreamMessage('ping')).toBeUndefined();
  });
});

describe('mergeOutcome', () => {
  it('replaces a command’s earlier state', () => {
    const list = mergeOutcome([outcome('c1', 'queued')], outcome('c1', 'applied'));
    expect(list.map((o) => o.state)).toEqual(['applied']);
  });

  it('puts the newest command first', () => {
    const list = mergeOutcome(
      [outcome('c1', 'queued', '2026-11-22T10:00:00.000Z')],
      outcome('c2', 'queued', '2026-11-22T10:00:05.000Z'),
    );
    expect(list.map((o) => o.commandId)).toEqual(['c2', 'c1']);
  });

  it('does not move a command back to an earlier state when a late message arrives', () => {
    const list = mergeOutcome([outcome('c1', 'applied')], outcome('c1', 'dispatching'));
    expect(list[0].state).toBe('applied');
  });
});
