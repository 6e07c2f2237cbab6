import type { ReasonCode } from '@loopgate/contracts';

/** Every reason code in the plant's words; the console shows these first and the code in small print. */
export const REASON_WORDS: Record<ReasonCode, string> = {
  SAFETY_INTERLOCK: 'safety-interlocked parameter: never written',
  OUT_OF_BOUNDS: 'value outside its limits',
  STEP_TOO_LARGE: 'step too large',
  RATE_LIMITED: 'too many writes',
  COOLDOWN: 'written again too soon',
  DRIFT_BUDGET_EXCEEDED: 'drifted too far from where it started',
  RECORD_LOCKED: 'record locked at the MES',
  LOCK_UNAVAILABLE: 'MES lock not available',
  EXPIRED: 'arrived too late to apply',
  TARGET_PAUSED: 'target paused',
  KILL_SWITCH: 'all dispatch stopped',
  SHADOW_MODE: 'shadow mode: decided, not written',
  APPROVAL_REQUIRED: 'waiting for a signature',
  APPROVAL_REJECTED: 'rejected by a person',
  APPROVAL_EXPIRED: 'nobody signed in time',
  OVERRIDE_HOLD: 'held after an operator change',
  OPERATOR_OVERRIDE: 'changed by an operator',
  UNKNOWN_TARGET: 'no such target',
  UNSUPPORTED_ACTION: 'the target cannot do this',
  INVALID_COMMAND: 'incomplete for this action',
  TYPE_MISMATCH: 'wrong type of value',
  NOT_WRITABLE: 'not writable at the target',
  ACCESS_DENIED: 'the MES refused the gateway’s account',
  AUTH_FAILED: 'sign-in failed',
  MES_REJECTED: 'the MES refused it',
  NOT_CONFIRMED: 'not confirmed by reading back',
  RETRIES_EXHAUSTED: 'failed after every retry',
  REVERT: 'written back by a revert',
  INTERNAL_ERROR: 'gateway error',
  TARGET_UNAVAILABLE: 'target not answering: waiting',
  OUTCOME_UNKNOWN: 'sent, outcome not known yet',
  QUARANTINED: 'outcome unknown: a person checks the MES',
  QUARANTINE_RELEASED: 'released by a person',
  QUARANTINE_RESOLVED: 'resolved by a person',
  EXTERNAL_CHANGE: 'changed outside the gateway',
  INPUT_BAD: 'decided on a bad input',
  INPUT_UNCERTAIN: 'decided on an uncertain input',
  INPUT_STALE: 'decided on a stale input',
  CLOCK_SKEW: 'input clock ahead of the gateway',
};

/** The words for a code, or the code itself made readable when it is not one of ours. */
export function reasonWords(code: string): string {
  return (REASON_WORDS as Record<string, string>)[code] ?? code.toLowerCase().replace(/_/g, ' ');
}
