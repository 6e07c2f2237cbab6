import type { ValidationIssue } from '@loopgate/contracts';

/** The caller's mistake: 4xx, never retried. Context goes in fields, not in the message. */
export class UserError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A 429 that lifts by itself: the answer carries `Retry-After` (whole seconds). */
export class ThrottledError extends UserError {
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message, 429);
    this.name = 'ThrottledError';
  }
}

/** An outside system failed (MES, broker, database): retried or dead-lettered, not the caller's fault. */
export class OperationalError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OperationalError';
  }
}
