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
