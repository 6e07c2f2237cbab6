import { describe, expect, it } from 'vitest';
import { TargetError } from '../../targets/adapter';
import {
  classifyFailure,
  DEFAULT_PROCESSING,
  isOutage,
  nextStep,
  NotConfirmedError,
  processingStrategyOf,
} from './retry-policy';

describe('classifyFailure', () => {
  it('never retries a rejection and keeps a known reason code', () => {
    expect(classifyFailure(new TargetError('rejected', 'NOT_WRITABLE', 'no'))).toMatchObject({
      retry: false,
      reason: 'NOT_WRITABLE',
    });
  });

  it('maps other rejections to MES_REJECTED', () => {
    expect(classifyFailure(new TargetError('rejected', 'HTTP_400', 'bad'))).toMatchObject({
      retry: false,
      reason: 'MES_REJECTED',
    });
  });

  it('never retries refused credentials', () => {
    expect(classifyFailure(new TargetError('auth', 'HTTP_401', 'no'))).toMatchObject({
      retry: false,
      reason: 'AUTH_FAILED',
    });
  });

  it('retries a transient failure without reading first', () => {
    expect(classifyFailure(new TargetError('transient', 'HTTP_503', 'busy'))).toMatchObject({
      retry: true,
      readFirst: false,
      exhausted: 'RETRIES_EXHAUSTED',
    });
  });

  it('retries an unknown outcome after reading first', () => {
    expect(classifyFailure(new TargetError('unknown', 'TIMEOUT', 'slow'))).toMatchObject({
      retry: true,
      readFirst: true,
    });
  });

  it('retries a held lock and ends as LOCK_UNAVAILABLE', () => {
    expect(classifyFailure(new TargetError('locked', 'LOCKED', 'held'))).toMatchObject({
      retry: true,
      exhausted: 'LOCK_UNAVAILABLE',
    });
  });

  it('retries a silently dropped write after reading, ending as NOT_CONFIRMED', () => {
    expect(classifyFailure(new NotConfirmedError('dropped'))).toMatchObject({
      retry: true,
      readFirst: true,
      exhausted: 'NOT_CONFIRMED',
    });
  });

  it('treats anything else as a bug: not retried', () => {
    expect(classifyFailure(new TypeError('x is undefined'))).toMatchObject({ retry: false, reason: 'INTERNAL_ERROR' });
  });
});

describe('processing strategy', () => {
  const NOW = 1_000_000;
  const NOT_AFTER = NOW + 60_000;
  const outage = new TargetError('transient', 'HTTP_503', 'busy');
  const lockHeld = new TargetError('locked', 'LOCKED_BY_OTHER', 'held', { heldBy: 'operator-console' });
  const dropped = new NotConfirmedError('read-back shows the old value');
  const max = () => 0.999_999;

  it('defaults to unlimited attempts and an outage that holds', () => {
    expect(processingStrategyOf(undefined)).toEqual(DEFAULT_PROCESSING);
    expect(DEFAULT_PROCESSING).toMatchObject({ attempts: 'unlimited', outage: 'hold' });
  });

  it('takes attempts and delays from the older guardrails.retry, the processing block over both', () => {
    const legacy = { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 500 };
    expect(processingStrategyOf(undefined, legacy)).toMatchObject({ attempts: 10, initialDelayMs: 20, outage: 'hold' });
    expect(processingStrategyOf({ attempts: 'unlimited' }, legacy)).toMatchObject({ attempts: 'unlimited' });
  });

  it('waits out an outage without spending attempts under hold, however many waits it takes', () => {
    const strategy = processingStrategyOf({ attempts: 3 });
    expect(nextStep(strategy, outage, { spent: 2, waits: 500 }, NOW, NOT_AFTER)).toMatchObject({
      kind: 'retry',
      spendsAttempt: false,
      outage: true,
    });
  });

  it('waits for a lock someone else holds as for an outage', () => {
    expect(isOutage(lockHeld)).toBe(true);
    expect(
      nextStep(processingStrategyOf({ attempts: 1 }), lockHeld, { spent: 0, waits: 0 }, NOW, NOT_AFTER),
    ).toMatchObject({ kind: 'retry', spendsAttempt: false });
  });

  it('spends attempts on an outage under outage: retry, and fails when they run out', () => {
    const strategy = processingStrategyOf({ attempts: 3, outage: 'retry' });
    expect(nextStep(strategy, outage, { spent: 1, waits: 0 }, NOW, NOT_AFTER)).toMatchObject({ spendsAttempt: true });
    expect(nextStep(strategy, outage, { spent: 2, waits: 0 }, NOW, NOT_AFTER)).toMatchObject({
      kind: 'give-up',
      reason: 'RETRIES_EXHAUSTED',
    });
  });

  it('spends an attempt on a write that did not hold, even under hold', () => {
    const strategy = processingStrategyOf({ attempts: 2 });
    expect(nextStep(strategy, dropped, { spent: 0, waits: 0 }, NOW, NOT_AFTER)).toMatchObject({ spendsAttempt: true });
    expect(nextStep(strategy, dropped, { spent: 1, waits: 0 }, NOW, NOT_AFTER)).toMatchObject({
      kind: 'give-up',
      reason: 'NOT_CONFIRMED',
    });
  });

  it('lets notAfter win: expired once it has passed, whatever the attempts left', () => {
    expect(nextStep(DEFAULT_PROCESSING, outage, { spent: 0, waits: 0 }, NOT_AFTER, NOT_AFTER)).toEqual({
      kind: 'expired',
    });
  });

  it('never sleeps past notAfter', () => {
    const step = nextStep(DEFAULT_PROCESSING, outage, { spent: 0, waits: 20 }, NOT_AFTER - 40, NOT_AFTER, max);
    expect(step).toMatchObject({ kind: 'retry', delayMs: 40 });
  });

  it('backs off exponentially with full jitter up to maxDelayMs', () => {
    const strategy = processingStrategyOf({ initialDelayMs: 100, maxDelayMs: 1_000 });
    const delay = (waits: number) =>
      (nextStep(strategy, outage, { spent: 0, waits }, NOW, NOT_AFTER, max) as { delayMs: number }).delayMs;
    expect([0, 1, 2, 3, 4, 10].map(delay)).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(
      (nextStep(strategy, outage, { spent: 0, waits: 3 }, NOW, NOT_AFTER, () => 0) as { delayMs: number }).delayMs,
    ).toBe(1);
  });

  it('stops at once on a failure that is never retried', () => {
    expect(
      nextStep(
        DEFAULT_PROCESSING,
        new TargetError('rejected', 'NOT_WRITABLE', 'no'),
        { spent: 0, waits: 0 },
        NOW,
        NOT_AFTER,
      ),
    ).toEqual({
      kind: 'final',
    });
  });
});
