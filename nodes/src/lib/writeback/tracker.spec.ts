import type { WriteBackOutcome } from '@loopgate/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayError, type GatewayClient } from '../gateway-client';
import type { NodeStatus } from '../node-red';
import { outcomeStatus, submitWithRetry, waitForFinalOutcome } from './tracker';

function outcome(state: WriteBackOutcome['state'], extra: Partial<WriteBackOutcome> = {}): WriteBackOutcome {
  return {
    commandId: 'cmd-1',
    requestId: 'r',
    state,
    target: { kind: 'opcenter', instance: 'opcenter-demo' },
    object: { type: 'recipe-parameter', id: 'R' },
    action: 'set-parameter',
    initiator: 'ai',
    lineage: {},
    timings: { receivedAt: '2026-01-01T00:00:00.000Z' },
    ...extra,
  };
}

/** A client whose GETs answer the given outcomes (or throw the given errors) in turn. */
function scripted(answers: (WriteBackOutcome | Error)[]): GatewayClient {
  return {
    async getWriteBack() {
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as GatewayClient;
}

const options = (deadline: number) => ({
  deadline,
  signal: new AbortController().signal,
  onProgress: () => undefined,
  pollIntervalMs: 5,
  maxPollIntervalMs: 10,
});

describe('waitForFinalOutcome', () => {
  it('keeps polling a command waiting for a signature until its approval expires, past notAfter', async () => {
    const pending = outcome('pending-approval', {
      approval: {
        rule: 'step above 5 %',
        requiresQuality: false,
        expiresAt: new Date(Date.now() + 2_000).toISOString(),
      },
    });
    const final = await waitForFinalOutcome(scripted([pending, outcome('applied')]), pending, {
      ...options(Date.now() - 1),
      graceMs: 0,
    });
    expect(final.state).toBe('applied');
  });

  it('gives up with OUTCOME_UNKNOWN at the deadline', async () => {
    await expect(waitForFinalOutcome(scripted([]), outcome('queued'), options(Date.now() - 1))).rejects.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
    });
  });

  it('rides out a gateway that is briefly unreachable', async () => {
    const down = new GatewayError('unreachable', 'GATEWAY_UNREACHABLE', 'down');
    const final = await waitForFinalOutcome(
      scripted([down, down, outcome('applied')]),
      outcome('queued'),
      options(Date.now() + 5_000),
    );
    expect(final.state).toBe('applied');
  });

  it('stops on a final error such as a refused token', async () => {
    const refused = new GatewayError('auth', 'UNAUTHENTICATED', 'no');
    await expect(waitForFinalOutcome(scripted([refused]), outcome('queued'), options(Date.now() + 5_000))).rejects.toBe(
      refused,
    );
  });
});

describe('outcomeStatus', () => {
  it.each([
    ['queued', undefined, { fill: 'blue', shape: 'ring', text: 'queued' }],
    ['pending-approval', undefined, { fill: 'yellow', shape: 'ring', text: 'waiting for approval' }],
    ['rejected', 'STEP_TOO_LARGE', { fill: 'red', shape: 'ring', text: 'rejected: STEP_TOO_LARGE' }],
    ['expired', 'EXPIRED', { fill: 'yellow', shape: 'dot', text: 'expired: EXPIRED' }],
    ['shadow', undefined, { fill: 'grey', shape: 'dot', text: 'shadow: decided, not written' }],
  ] as const)('shows %s (%s)', (state, reasonCode, status) => {
    expect(outcomeStatus({ state, reasonCode })).toEqual(status);
  });
});

describe('submitWithRetry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits as long as a 429 asks before it submits again, and says so in the status', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-04T10:00:00.000Z') });
    const attempts: number[] = [];
    const client = {
      async submitWriteBack() {
        attempts.push(Date.now());
        if (attempts.length === 1)
          throw new GatewayError('server', 'TOO_MANY_REQUESTS', 'used up', 429, undefined, { retryAfterSeconds: 7 });
        return outcome('queued');
      },
    } as unknown as GatewayClient;
    const statuses: NodeStatus[] = [];
    const submitted = submitWithRetry(client, {} as never, {
      deadline: Date.now() + 60_000,
      signal: new AbortController().signal,
      onProgress: (status) => statuses.push(status),
    });
    // Past the backoff's own first delay (at most 200 ms) but not the 7 s asked: no second attempt.
    await vi.advanceTimersByTimeAsync(6_900);
    expect(attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(400);
    expect((await submitted).state).toBe('queued');
    expect(attempts).toHaveLength(2);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(7_000);
    expect(statuses.map((s) => s.text)).toEqual(['TOO_MANY_REQUESTS, retry 1 in 7 s']);
  });

  it('gives up at the deadline rather than wait past it', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-04T10:00:00.000Z') });
    let attempts = 0;
    const client = {
      async submitWriteBack() {
        attempts += 1;
        throw new GatewayError('server', 'TOO_MANY_REQUESTS', 'used up', 429, undefined, { retryAfterSeconds: 60 });
      },
    } as unknown as GatewayClient;
    const submitted = submitWithRetry(client, {} as never, {
      deadline: Date.now() + 5_000,
      signal: new AbortController().signal,
      onProgress: () => undefined,
    });
    const settled = expect(submitted).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    await vi.advanceTimersByTimeAsync(5_000);
    await settled;
    expect(attempts).toBe(1);
  });
});
