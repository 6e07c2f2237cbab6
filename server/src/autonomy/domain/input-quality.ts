import type { InputSample, ReasonCode } from '@loopgate/contracts';

/** What the site allows of a decision's inputs. */
export interface InputQualityPolicy {
  /** An input older than this (gateway time minus source time) refuses the decision; unset: no limit. */
  maxAgeSeconds?: number;
  /** An input whose source time is this far ahead of the gateway's clock refuses the decision. */
  maxClockSkewSeconds: number;
  /** Uncertain inputs refuse the decision too (Bad ones always do). */
  refuseUncertain: boolean;
}

export interface InputRefusal {
  code: Extract<ReasonCode, 'INPUT_BAD' | 'INPUT_UNCERTAIN' | 'INPUT_STALE' | 'CLOCK_SKEW'>;
  message: string;
  input: string;
}

/** Quality of an input: from the OPC UA StatusCode's severity bits when given, else as stated; unknown is good. */
export function qualityOf(input: InputSample): 'good' | 'uncertain' | 'bad' {
  if (input.statusCode !== undefined) {
    const severity = input.statusCode >>> 30;
    return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
  }
  return input.quality ?? 'good';
}

/**
 * The first reason the inputs of a decision are not good enough to act on, or undefined.
 *
 * @example inputRefusal([{ name: 'load', statusCode: 0x80000000 }], policy, now) // { code: 'INPUT_BAD', ... }
 */
export function inputRefusal(
  inputs: readonly InputSample[] | undefined,
  policy: InputQualityPolicy,
  now: number,
): InputRefusal | undefined {
  for (const input of inputs ?? []) {
    const quality = qualityOf(input);
    const status =
      input.statusCode !== undefined ? ` (status 0x${input.statusCode.toString(16).padStart(8, '0')})` : '';
    if (quality === 'bad')
      return { code: 'INPUT_BAD', input: input.name, message: `input ${input.name} has Bad quality${status}` };
    if (quality === 'uncertain' && policy.refuseUncertain)
      return {
        code: 'INPUT_UNCERTAIN',
        input: input.name,
        message: `input ${input.name} has Uncertain quality${status}`,
      };
    if (input.sourceTime === undefined) continue;
    const ageSeconds = (now - Date.parse(input.sourceTime)) / 1000;
    if (-ageSeconds > policy.maxClockSkewSeconds)
      return {
        code: 'CLOCK_SKEW',
        input: input.name,
        message: `input ${input.name} is stamped ${(-ageSeconds).toFixed(1)} s ahead of the gateway clock (allowed ${policy.maxClockSkewSeconds} s)`,
      };
    if (policy.maxAgeSeconds !== undefined && ageSeconds > policy.maxAgeSeconds)
      return {
        code: 'INPUT_STALE',
        input: input.name,
        message: `input ${input.name} is ${ageSeconds.toFixed(1)} s old (allowed ${policy.maxAgeSeconds} s)`,
      };
  }
  return undefined;
}
