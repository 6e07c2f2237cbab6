import { describe, expect, it } from 'vitest';
import { TargetError } from '../../targets/adapter';
import { classifyFailure, NotConfirmedError } from './retry-policy';

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
