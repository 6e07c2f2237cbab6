import { REASON_CODES, type ReasonCode } from '@loopgate/contracts';
import { TargetError } from '../../targets/adapter';

/** A write the target acknowledged but a read-back does not show: the MES dropped it silently. */
export class NotConfirmedError extends Error {
  constructor(
    message: string,
    readonly observed?: unknown,
  ) {
    super(message);
    this.name = 'NotConfirmedError';
  }
}

/** How the dispatcher treats a failed attempt. */
export type FailureClass =
  /** Never retried: the MES said no, or credentials were refused, or a bug. */
  | { retry: false; reason: ReasonCode; message: string }
  /**
   * Retried with backoff. `readFirst`: the attempt may have landed, so the next attempt reads the
   * target (or looks the create up) before writing again. `exhausted`: the reason when attempts run out.
   */
  | { retry: true; readFirst: boolean; exhausted: ReasonCode; message: string };

const KNOWN: ReadonlySet<string> = new Set(REASON_CODES);

/**
 * Classifies an adapter failure by its kind alone; the dispatcher never branches on the MES.
 *
 * @example classifyFailure(new TargetError('unknown', 'TIMEOUT', 'no answer')) // retry, read first
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof NotConfirmedError) {
    return { retry: true, readFirst: true, exhausted: 'NOT_CONFIRMED', message: error.message };
  }
  if (!(error instanceof TargetError)) {
    return { retry: false, reason: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error) };
  }
  const message = `${error.code}: ${error.message}`;
  switch (error.kind) {
    case 'rejected':
      return { retry: false, reason: KNOWN.has(error.code) ? (error.code as ReasonCode) : 'MES_REJECTED', message };
    case 'auth':
      return { retry: false, reason: 'AUTH_FAILED', message };
    case 'locked':
      return { retry: true, readFirst: false, exhausted: 'LOCK_UNAVAILABLE', message };
    case 'transient':
      return { retry: true, readFirst: false, exhausted: 'RETRIES_EXHAUSTED', message };
    case 'unknown':
      return { retry: true, readFirst: true, exhausted: 'RETRIES_EXHAUSTED', message };
  }
}

/**
 * How the gateway processes one target's commands when things go wrong (site configuration
 * `targets[].processing`), in the manner of store-and-forward: by default an outage delays a key's
 * queue and never fails it, and `notAfter` always wins (expired, never applied late).
 */
export interface ProcessingStrategy {
  /** Attempts a command may spend; `unlimited`: until its `notAfter`. What spends one: see `outage`. */
  attempts: number | 'unlimited';
  /** Backoff between attempts: exponential from `initialDelayMs` up to `maxDelayMs`, with full jitter. */
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * A target that answers 5xx, refuses connections or does not answer, or a lock someone else holds:
   * `hold` waits (the key's queue holds, the target is reported down) without spending attempts;
   * `retry` spends an attempt on each, as any other failure.
   */
  outage: 'hold' | 'retry';
  /**
   * How long a command may stay `reconciling` (reading because its write may have landed) before it
   * goes to quarantine for an operator; counted from when it began reconciling (a restart does not reset it).
   */
  reconcileLimitMs: number;
  /** Consecutive outage signals that mark the target down (its queues hold, it is probed); absent: 3. */
  markDownAfter?: number;
  /** When attempts run out: `fail` ends the command `failed`; `quarantine` holds it for an operator. */
  giveUp: 'fail' | 'quarantine';
}

export const DEFAULT_PROCESSING: Readonly<ProcessingStrategy> = Object.freeze({
  attempts: 'unlimited',
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  outage: 'hold',
  reconcileLimitMs: 900_000,
  giveUp: 'fail',
});

/** The strategy for a target: its `processing` block, else the older `guardrails.retry` (attempts and delays). */
export function processingStrategyOf(
  processing: Partial<ProcessingStrategy> | undefined,
  legacyRetry?: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number },
): ProcessingStrategy {
  const legacy: Partial<ProcessingStrategy> = legacyRetry
    ? {
        attempts: legacyRetry.maxAttempts,
        initialDelayMs: legacyRetry.initialDelayMs,
        maxDelayMs: legacyRetry.maxDelayMs,
      }
    : {};
  return { ...DEFAULT_PROCESSING, ...legacy, ...(processing ?? {}) };
}

/** Whether a failure means the target (or its lock) is unavailable, rather than this command's write going wrong. */
export function isOutage(error: unknown): boolean {
  return error instanceof TargetError && (error.kind === 'transient' || error.kind === 'locked');
}

/** What to do after a failed attempt. */
export type NextStep =
  | { kind: 'retry'; delayMs: number; spendsAttempt: boolean; outage: boolean }
  | { kind: 'give-up'; reason: ReasonCode; message: string }
  | { kind: 'final' }
  | { kind: 'expired' };

/**
 * Decides after a failed attempt, from the strategy and the failure's kind alone: retry after a
 * backoff (bounded so it never sleeps past `notAfter`), give up, or stop.
 *
 * @example nextStep(DEFAULT_PROCESSING, new TargetError('transient', 'HTTP_503', 'busy'), { spent: 9, waits: 40 }, now, notAfter)
 * // { kind: 'retry', spendsAttempt: false, outage: true, delayMs: ... }
 */
export function nextStep(
  strategy: ProcessingStrategy,
  error: unknown,
  tries: { spent: number; waits: number },
  now: number,
  notAfter: number,
  random: () => number = Math.random,
): NextStep {
  const failure = classifyFailure(error);
  if (!failure.retry) return { kind: 'final' };
  if (now >= notAfter) return { kind: 'expired' };
  const outage = isOutage(error);
  const spendsAttempt = !(outage && strategy.outage === 'hold');
  const spent = tries.spent + (spendsAttempt ? 1 : 0);
  if (spendsAttempt && strategy.attempts !== 'unlimited' && spent >= strategy.attempts) {
    return {
      kind: 'give-up',
      reason: failure.exhausted,
      message: `${failure.message} (after ${spent} attempts)`,
    };
  }
  const step = tries.spent + tries.waits;
  const ceiling = Math.min(strategy.maxDelayMs, strategy.initialDelayMs * 2 ** Math.min(step, 30));
  const delayMs = Math.max(1, Math.min(Math.round(random() * ceiling), notAfter - now));
  return { kind: 'retry', delayMs, spendsAttempt, outage };
}
