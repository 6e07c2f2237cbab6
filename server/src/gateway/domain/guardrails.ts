import type { Isa95ObjectType, ParameterValue, ReasonCode, WriteBackAction } from '@loopgate/contracts';
import type { Command } from './command';
import { stepBetween } from './values';
import { matchesPattern } from './wildcard';

/** Which parameter (and optionally which object) a guardrail entry covers; `*` is a wildcard. */
export interface ParameterMatch {
  parameter: string;
  object?: string;
}

/** Hard limits for matching parameters; every matching entry applies, so the strictest wins. */
export interface ParameterLimit extends ParameterMatch {
  min?: number;
  max?: number;
  /** Largest change per write, in the parameter's unit. */
  maxStep?: number;
  /** Largest change per write, in percent of the prior value. */
  maxStepPercent?: number;
  /** At most `maxWrites` writes per `windowSeconds` to one parameter of one object. */
  maxWrites?: number;
  windowSeconds?: number;
  /** Least time between two writes to one parameter of one object. */
  cooldownSeconds?: number;
  /**
   * Drift budget: how far consecutive AI writes may move the value from its baseline (the value
   * before the episode's first AI write, or `baseline`) within `driftWindowSeconds`, in the
   * parameter's unit and/or in percent of the baseline. Beyond it a person signs (`approval`) or the
   * write is refused (`refuse`, DRIFT_BUDGET_EXCEEDED). A person's write ends the episode.
   */
  maxDrift?: number;
  maxDriftPercent?: number;
  driftWindowSeconds?: number;
  baseline?: number;
  driftAction?: 'approval' | 'refuse';
}

export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** A target's guardrails, from site configuration that flows cannot change. */
export interface GuardrailPolicy {
  /** Safety-interlock parameters (IEC 61511): never writable, whatever the request says. */
  interlocks: ParameterMatch[];
  limits: ParameterLimit[];
  /** Caps how far ahead a request's `notAfter` may lie. */
  maxTtlSeconds?: number;
  /** How long AI writes to a key are held after an operator overrode a value the gateway wrote. */
  overrideHoldSeconds: number;
  /** How long AI writes to a key are held after a person reverted a write to it; `overrideHoldSeconds` when absent. */
  revertHoldSeconds?: number;
  retry: RetryPolicy;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 5_000 };
export const DEFAULT_POLICY: GuardrailPolicy = {
  interlocks: [],
  limits: [],
  overrideHoldSeconds: 900,
  retry: DEFAULT_RETRY,
};

/** What the guardrails look at: the command without its lineage. */
export interface GuardrailSubject {
  action: WriteBackAction;
  objectType: Isa95ObjectType;
  objectId: string;
  parameter?: string;
  value?: ParameterValue;
  initiator: 'ai' | 'human';
  /** A revert writes a prior value back: hard stops apply, step/rate/approval do not. */
  isRevert: boolean;
}

/** The guardrail view of a command. */
export function subjectOf(command: Command): GuardrailSubject {
  return {
    action: command.action,
    objectType: command.object.type,
    objectId: command.object.id,
    parameter: command.parameter,
    value: command.value,
    initiator: command.initiator,
    isRevert: command.revertOf !== undefined,
  };
}

/** Why a command was refused: a stable reason code and a sentence for people. */
export interface Refusal {
  code: ReasonCode;
  message: string;
  /** For rate and cooldown refusals: the epoch ms from which the same write would fit again. */
  blockedUntil?: number;
  /** For rate and cooldown refusals: how long to back off before retrying, in ms. */
  retryAfterMs?: number;
}

function covers(match: ParameterMatch, subject: GuardrailSubject): boolean {
  return (
    matchesPattern(match.parameter, subject.parameter) &&
    (match.object === undefined || matchesPattern(match.object, subject.objectId))
  );
}

export function matchingLimits(policy: GuardrailPolicy, subject: GuardrailSubject): ParameterLimit[] {
  return policy.limits.filter((limit) => covers(limit, subject));
}

/** Safety interlocks are never written, by any action, revert included. */
export function checkInterlock(policy: GuardrailPolicy, subject: GuardrailSubject): Refusal | undefined {
  const hit = policy.interlocks.find((match) => covers(match, subject));
  if (!hit) return undefined;
  return {
    code: 'SAFETY_INTERLOCK',
    message: `${subject.parameter} is a safety-interlock parameter and is never written by the gateway`,
  };
}

/** Absolute bounds: a bounded parameter takes only finite numbers within [min, max]. */
export function checkBounds(policy: GuardrailPolicy, subject: GuardrailSubject): Refusal | undefined {
  for (const limit of matchingLimits(policy, subject)) {
    if (limit.min === undefined && limit.max === undefined) continue;
    if (subject.value === undefined) continue;
    if (typeof subject.value !== 'number' || !Number.isFinite(subject.value)) {
      return { code: 'TYPE_MISMATCH', message: `${subject.parameter} is bounded and takes a finite number` };
    }
    if (limit.min !== undefined && subject.value < limit.min) {
      return { code: 'OUT_OF_BOUNDS', message: `${subject.value} is below the minimum ${limit.min}` };
    }
    if (limit.max !== undefined && subject.value > limit.max) {
      return { code: 'OUT_OF_BOUNDS', message: `${subject.value} is above the maximum ${limit.max}` };
    }
  }
  return undefined;
}

/**
 * Maximum step from the value read at the target just before the write. When the prior value is
 * not a number the step cannot be measured, so the write is refused rather than let through.
 */
export function checkStep(
  policy: GuardrailPolicy,
  subject: GuardrailSubject,
  prior: ParameterValue | null | undefined,
): Refusal | undefined {
  if (subject.isRevert || subject.value === undefined) return undefined;
  for (const limit of matchingLimits(policy, subject)) {
    if (limit.maxStep === undefined && limit.maxStepPercent === undefined) continue;
    const step = stepBetween(prior, subject.value);
    if (!step) {
      return {
        code: 'STEP_TOO_LARGE',
        message: `the step to ${String(subject.value)} cannot be measured from the prior value ${String(prior)}`,
      };
    }
    if (limit.maxStep !== undefined && step.absolute > limit.maxStep) {
      return { code: 'STEP_TOO_LARGE', message: `step ${step.absolute} exceeds the maximum step ${limit.maxStep}` };
    }
    if (limit.maxStepPercent !== undefined && step.percent > limit.maxStepPercent) {
      return {
        code: 'STEP_TOO_LARGE',
        message: `step ${step.percent.toFixed(2)} % exceeds the maximum step ${limit.maxStepPercent} %`,
      };
    }
  }
  return undefined;
}

/** A correction not applied by `notAfter` is stale: it is expired, never applied late. */
export function checkExpiry(notAfter: string, now: number): Refusal | undefined {
  if (Date.parse(notAfter) > now) return undefined;
  return { code: 'EXPIRED', message: `not applied before ${notAfter}; dropped as stale` };
}

/** The effective expiry: the request's `notAfter`, capped by the target's `maxTtlSeconds`. */
export function effectiveNotAfter(policy: GuardrailPolicy, requested: string, receivedAt: number): string {
  const asked = Date.parse(requested);
  if (policy.maxTtlSeconds === undefined) return new Date(asked).toISOString();
  return new Date(Math.min(asked, receivedAt + policy.maxTtlSeconds * 1000)).toISOString();
}

/**
 * Audited or closed records are never written. A record locked by someone else is refused on a
 * target without explicit locks; where the target has locks, the dispatcher waits for the lock.
 */
export function checkRecordState(
  record: { locked: boolean; audited: boolean },
  targetHasLocks: boolean,
): Refusal | undefined {
  if (record.audited) return { code: 'RECORD_LOCKED', message: 'the record is audited or closed and is not written' };
  if (record.locked && !targetHasLocks) return { code: 'RECORD_LOCKED', message: 'the record is locked at the target' };
  return undefined;
}

/** One rate or cooldown limit as the store judges it when it admits a write to a key. */
export interface AdmissionLimit {
  maxWrites?: number;
  windowMs?: number;
  cooldownMs?: number;
}

/**
 * A write to one key (target × object × parameter) the store admits in the same transaction that
 * accepts the command, against the accepted times it holds for the key: one truth for every
 * gateway process sharing the database, and no await between the check and the record.
 */
export interface Admission {
  key: string;
  time: number;
  limits: AdmissionLimit[];
  /** An AI write under a drift budget: judged against the stored baseline, which it starts when there is none. */
  drift?: DriftAdmission;
  /** A person's write (or signature): the AI episode on the key ends, and its baseline with it. */
  endEpisode?: boolean;
  /** An AI write: refused while the key's stored override hold lasts (an operator changed the value). */
  heldByOverride?: boolean;
}

/** One drift budget as the store judges it. */
export interface DriftLimit {
  maxDrift?: number;
  maxDriftPercent?: number;
  windowMs: number;
  action: 'approval' | 'refuse';
}

export interface DriftAdmission {
  value: number;
  /** The baseline the episode starts from when the store holds none (the value read before the write, or the configured one). */
  baseline: number;
  limits: DriftLimit[];
}

/** The baseline of an AI episode on a key, and until when it holds. */
export interface EpisodeBaseline {
  value: number;
  until: number;
}

/** What the store holds for a key: admitted times and the open episode's baseline. */
export interface AdmissionState {
  times: number[];
  baseline?: EpisodeBaseline;
  /** Until when AI writes to the key are held after an operator's override (from the key's stored write state; epoch ms). */
  holdUntil?: number;
}

/** The drift budgets that cover an AI write of a number (none for people, reverts and other actions). */
export function driftLimits(policy: GuardrailPolicy, subject: GuardrailSubject): DriftLimit[] {
  if (subject.isRevert || subject.initiator !== 'ai' || subject.action !== 'set-parameter') return [];
  return matchingLimits(policy, subject)
    .filter((l) => l.maxDrift !== undefined || l.maxDriftPercent !== undefined)
    .map((l) => ({
      ...(l.maxDrift !== undefined ? { maxDrift: l.maxDrift } : {}),
      ...(l.maxDriftPercent !== undefined ? { maxDriftPercent: l.maxDriftPercent } : {}),
      windowMs: (l.driftWindowSeconds ?? 3600) * 1000,
      action: l.driftAction ?? 'approval',
    }));
}

/** The configured baseline of the first drift budget that names one. */
export function configuredBaseline(policy: GuardrailPolicy, subject: GuardrailSubject): number | undefined {
  return matchingLimits(policy, subject).find((l) => l.baseline !== undefined)?.baseline;
}

/**
 * Whether moving to `value` stays within the drift budgets from `baseline`; the first budget
 * passed, with what it asks for (a signature or a refusal).
 *
 * @example driftRefusal(1200, 1020, [{ maxDriftPercent: 10, windowMs: 3_600_000, action: 'approval' }])
 * // { code: 'DRIFT_BUDGET_EXCEEDED', action: 'approval', message: 'drift 15.00 % from the baseline 1200 ...' }
 */
export function driftRefusal(
  baseline: number | undefined,
  value: ParameterValue | undefined,
  limits: readonly DriftLimit[],
): (Refusal & { action: DriftLimit['action'] }) | undefined {
  for (const limit of limits) {
    const drift = baseline === undefined ? undefined : stepBetween(baseline, value);
    if (!drift) {
      return {
        code: 'DRIFT_BUDGET_EXCEEDED',
        action: limit.action,
        message: `the drift to ${String(value)} cannot be measured: the value before this AI episode is unknown`,
      };
    }
    if (limit.maxDrift !== undefined && drift.absolute > limit.maxDrift)
      return {
        code: 'DRIFT_BUDGET_EXCEEDED',
        action: limit.action,
        message: `drift ${drift.absolute} from the baseline ${baseline} exceeds the budget ${limit.maxDrift} over ${limit.windowMs / 1000} s`,
      };
    if (limit.maxDriftPercent !== undefined && drift.percent > limit.maxDriftPercent)
      return {
        code: 'DRIFT_BUDGET_EXCEEDED',
        action: limit.action,
        message: `drift ${drift.percent.toFixed(2)} % from the baseline ${baseline} exceeds the budget ${limit.maxDriftPercent} % over ${limit.windowMs / 1000} s`,
      };
  }
  return undefined;
}

/**
 * Judges one admission against a key's stored state; throws AdmissionRefusedError, or returns the
 * state to store: the times the limits still count and the episode's baseline.
 */
export function judgeAdmission(state: AdmissionState, admission: Admission): AdmissionState & { expiresAt: number } {
  const { time, limits, drift, endEpisode } = admission;
  if (admission.heldByOverride && state.holdUntil !== undefined && state.holdUntil > time) {
    throw new AdmissionRefusedError(admission.key, {
      code: 'OVERRIDE_HOLD',
      message: `an operator overrode or reverted this value; AI writes are held until ${new Date(state.holdUntil).toISOString()}`,
      blockedUntil: state.holdUntil,
      retryAfterMs: state.holdUntil - time,
    });
  }
  const at = admissionTime(state.times, limits, time);
  const refusal = admissionRefusal(state.times, limits, at);
  if (refusal) throw new AdmissionRefusedError(admission.key, refusal);
  let baseline = endEpisode ? undefined : state.baseline && state.baseline.until > time ? state.baseline : undefined;
  if (drift) {
    const start = baseline?.value ?? drift.baseline;
    const exceeded = driftRefusal(start, drift.value, drift.limits);
    if (exceeded) throw new AdmissionRefusedError(admission.key, { code: exceeded.code, message: exceeded.message });
    baseline ??= { value: start, until: time + Math.min(...drift.limits.map((l) => l.windowMs)) };
  }
  const times = admit(state.times, limits, at);
  const expiresAt = Math.max(time + admissionHorizonMs(limits), baseline?.until ?? 0, time);
  return {
    times,
    ...(baseline ? { baseline } : {}),
    ...(state.holdUntil !== undefined ? { holdUntil: state.holdUntil } : {}),
    expiresAt,
  };
}

/** A write the store refused to admit: the key's rate or cooldown limit, judged on stored state. */
export class AdmissionRefusedError extends Error {
  constructor(
    readonly key: string,
    readonly refusal: Refusal,
  ) {
    super(`${key}: ${refusal.message}`);
    this.name = 'AdmissionRefusedError';
  }
}

/** The rate and cooldown limits that cover a write; none for reverts (they undo, they are not counted). */
export function admissionLimits(policy: GuardrailPolicy, subject: GuardrailSubject): AdmissionLimit[] {
  if (subject.isRevert) return [];
  const limits: AdmissionLimit[] = [];
  for (const limit of matchingLimits(policy, subject)) {
    if (limit.maxWrites === undefined && limit.cooldownSeconds === undefined) continue;
    limits.push({
      ...(limit.maxWrites !== undefined
        ? { maxWrites: limit.maxWrites, windowMs: (limit.windowSeconds ?? 60) * 1000 }
        : {}),
      ...(limit.cooldownSeconds !== undefined ? { cooldownMs: limit.cooldownSeconds * 1000 } : {}),
    });
  }
  return limits;
}

/** How long a key's accepted times matter to its limits: the longest window or cooldown. */
export function admissionHorizonMs(limits: readonly AdmissionLimit[]): number {
  return Math.max(0, ...limits.map((l) => Math.max(l.windowMs ?? 0, l.cooldownMs ?? 0)));
}

/**
 * The time a key's limits judge a write asked at `time` by: its own, but never more than a horizon
 * before the newest write the key admitted (a process whose clock runs far behind the others' is
 * judged as if it asked at the edge of what the key still remembers).
 */
export function admissionTime(times: readonly number[], limits: readonly AdmissionLimit[], time: number): number {
  return times.length === 0 ? time : Math.max(time, Math.max(...times) - admissionHorizonMs(limits));
}

/**
 * Whether a write at `now` fits the key's limits, given the times of the writes already admitted.
 * Times come from several processes' clocks, so a write may be asked at a time before the newest
 * admitted one: every window that would hold it is judged (the one ending at it and those ending
 * at each later write within a window of it), and the cooldown holds on both sides.
 *
 * @example admissionRefusal([t - 1000], [{ cooldownMs: 5000 }], t) // { code: 'COOLDOWN', ... }
 */
export function admissionRefusal(
  times: readonly number[],
  limits: readonly AdmissionLimit[],
  now: number,
): Refusal | undefined {
  const sorted = [...times].sort((a, b) => a - b);
  for (const limit of limits) {
    if (limit.cooldownMs !== undefined && sorted.length > 0) {
      const nearest = sorted.reduce((best, t) => (Math.abs(now - t) < Math.abs(now - best) ? t : best));
      const since = Math.abs(now - nearest);
      if (since < limit.cooldownMs) {
        const blockedUntil = sorted[sorted.length - 1] + limit.cooldownMs;
        return {
          code: 'COOLDOWN',
          message: `${nearest <= now ? 'last write' : 'another write'} ${since} ms ${nearest <= now ? 'ago' : 'later'}; cooldown is ${limit.cooldownMs / 1000} s`,
          blockedUntil,
          retryAfterMs: blockedUntil - now,
        };
      }
    }
    if (limit.maxWrites !== undefined) {
      const windowMs = limit.windowMs ?? 60_000;
      const ends = [now, ...sorted.filter((t) => t > now && t - now < windowMs)];
      for (const end of ends) {
        const inWindow = sorted.filter((t) => t <= end && end - t < windowMs);
        const recent = inWindow.length;
        if (recent >= limit.maxWrites) {
          // The window admits again once enough of its oldest writes have left it.
          const blockedUntil = inWindow[recent - limit.maxWrites] + windowMs;
          return {
            code: 'RATE_LIMITED',
            message: `${recent} writes in ${end === now ? 'the last' : 'a window of'} ${windowMs / 1000} s; at most ${limit.maxWrites}`,
            blockedUntil,
            retryAfterMs: blockedUntil - now,
          };
        }
      }
    }
  }
  return undefined;
}

/**
 * The times a key keeps after admitting a write at `now`, oldest first: those a later write may
 * still be judged against. A write asked up to a horizon before the newest (`admissionTime`) looks
 * up to a horizon further back, so two horizons are kept, at most twice the largest `maxWrites`
 * and the new one (no window may hold more).
 */
export function admit(times: readonly number[], limits: readonly AdmissionLimit[], now: number): number[] {
  const horizon = admissionHorizonMs(limits);
  const keep = 2 * Math.max(1, ...limits.map((l) => l.maxWrites ?? 1)) + 1;
  const sorted = [...times, now].sort((a, b) => a - b);
  const newest = sorted[sorted.length - 1];
  return sorted.filter((t) => newest - t < 2 * horizon).slice(-keep);
}
