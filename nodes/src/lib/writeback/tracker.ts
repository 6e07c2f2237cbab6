import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminalCommandState, type WriteBackOutcome, type WriteBackRequest } from '@loopgate/contracts';
import { backOff } from 'exponential-backoff';
import { GatewayError, type GatewayClient } from '../gateway-client';
import type { NodeStatus } from '../node-red';

/** The node status for each command state: the operator sees where a write-back is. */
export function outcomeStatus(outcome: Pick<WriteBackOutcome, 'state' | 'reasonCode' | 'newValue'>): NodeStatus {
  const reason = outcome.reasonCode ? `: ${outcome.reasonCode}` : '';
  switch (outcome.state) {
    case 'queued':
      return { fill: 'blue', shape: 'ring', text: 'queued' };
    case 'pending-approval':
      return { fill: 'yellow', shape: 'ring', text: 'waiting for approval' };
    case 'dispatching':
      return { fill: 'blue', shape: 'dot', text: 'dispatching' };
    case 'reconciling':
      return { fill: 'yellow', shape: 'dot', text: 'reconciling: outcome unknown, reading the MES' };
    case 'quarantined':
      return { fill: 'red', shape: 'ring', text: 'quarantined: waiting for an operator' };
    case 'applied':
      return {
        fill: 'green',
        shape: 'dot',
        text:
          outcome.newValue === undefined || outcome.newValue === null
            ? 'applied'
            : `applied: ${String(outcome.newValue)}`,
      };
    case 'shadow':
      return { fill: 'grey', shape: 'dot', text: 'shadow: decided, not written' };
    case 'rejected':
      return { fill: 'red', shape: 'ring', text: `rejected${reason}` };
    case 'failed':
      return { fill: 'red', shape: 'dot', text: `failed${reason}` };
    case 'expired':
      return { fill: 'yellow', shape: 'dot', text: `expired${reason}` };
    case 'reverted':
      return { fill: 'grey', shape: 'ring', text: 'reverted' };
  }
}

export interface TrackOptions {
  /** Stop retrying the submission and polling at this time (the request's `notAfter` plus grace). */
  deadline: number;
  signal: AbortSignal;
  /** Called on every state seen and on every retry, for the node status. */
  onProgress(status: NodeStatus): void;
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Added to an approval's expiry, for the gateway to report it. */
  graceMs?: number;
}

/**
 * Submits a write-back, retrying transient failures (the request id makes a retry safe: the
 * gateway returns the first command instead of writing twice) until `deadline`. Final errors
 * (validation, auth) are thrown at once.
 */
export async function submitWithRetry(
  client: GatewayClient,
  request: WriteBackRequest,
  options: TrackOptions,
): Promise<WriteBackOutcome> {
  return backOff(() => client.submitWriteBack(request, options.signal), {
    numOfAttempts: Number.MAX_SAFE_INTEGER,
    startingDelay: 200,
    timeMultiple: 2,
    maxDelay: 5_000,
    jitter: 'full',
    retry: async (err: unknown, attempt: number) => {
      if (options.signal.aborted || !(err instanceof GatewayError) || !err.transient) return false;
      if (Date.now() >= options.deadline) return false;
      const asked = err.retryAfterSeconds;
      options.onProgress({
        fill: 'yellow',
        shape: 'ring',
        text: `${err.kind === 'server' ? err.code : 'gateway unreachable'}, retry ${attempt}${asked ? ` in ${asked} s` : ''}`,
      });
      // The gateway said how long to wait (a used-up allowance, a restart): wait that long, not
      // less, as far as the deadline allows; the backoff's own delay follows.
      if (asked) {
        const wait = Math.min(asked * 1000, options.deadline - Date.now());
        if (wait > 0) await pause(wait, options.signal);
        if (options.signal.aborted || Date.now() >= options.deadline) return false;
      }
      return true;
    },
  });
}

/** Resolves after `ms`, or at once when `signal` aborts (on the global timers, which tests can fake). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls `GET /writebacks/{commandId}` until the command reaches a final state, riding out a
 * gateway that is briefly unreachable. Throws `OUTCOME_UNKNOWN` at `deadline`.
 */
export async function waitForFinalOutcome(
  client: GatewayClient,
  first: WriteBackOutcome,
  options: TrackOptions,
): Promise<WriteBackOutcome> {
  let outcome = first;
  let interval = options.pollIntervalMs ?? 250;
  const maxInterval = options.maxPollIntervalMs ?? 2_000;
  let lastError: GatewayError | undefined;
  // A command waiting for a signature may wait until its approval expires, later than notAfter.
  const deadlineFor = (o: WriteBackOutcome) =>
    Math.max(options.deadline, o.approval ? Date.parse(o.approval.expiresAt) + (options.graceMs ?? 0) : 0);
  while (!isTerminalCommandState(outcome.state)) {
    const deadline = deadlineFor(outcome);
    if (Date.now() >= deadline) {
      throw new GatewayError(
        'timeout',
        'OUTCOME_UNKNOWN',
        `command ${outcome.commandId} still ${outcome.state} at the deadline${lastError ? ` (last error: ${lastError.message})` : ''}`,
      );
    }
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), undefined, { signal: options.signal });
    interval = Math.min(interval * 2, maxInterval);
    try {
      const next = await client.getWriteBack(outcome.commandId, options.signal);
      lastError = undefined;
      if (next.state !== outcome.state) options.onProgress(outcomeStatus(next));
      outcome = next;
    } catch (err) {
      if (!(err instanceof GatewayError) || !err.transient) throw err;
      lastError = err;
      options.onProgress({
        fill: 'yellow',
        shape: 'ring',
        text: `${outcomeStatus(outcome).text}; gateway unreachable, polling`,
      });
    }
  }
  return outcome;
}
