/** A KPI watched before and after a write: which source, which way it should move, over what window, within what tolerance. */
export interface EffectCheck {
  /** Where the KPI samples come from: a fact the flow reports, an MQTT topic or an OPC UA node id. */
  kpi: string;
  /** Which way the KPI should move for the write to count as an improvement. */
  expected: 'increase' | 'decrease';
  /** Samples this long before and after the write are compared. */
  windowSeconds: number;
  /** A change of the mean within ± this (in the KPI's unit) is "no change". */
  tolerance: number;
}

export const EFFECT_VERDICTS = ['improved', 'no-change', 'adverse', 'no-data'] as const;
export type EffectVerdict = (typeof EFFECT_VERDICTS)[number];

export interface KpiSample {
  /** Epoch ms. */
  at: number;
  value: number;
}

export interface SampleStatistics {
  count: number;
  mean: number;
  min: number;
  max: number;
}

export interface EffectResult {
  verdict: EffectVerdict;
  before?: SampleStatistics;
  after?: SampleStatistics;
  /** after.mean − before.mean. */
  delta?: number;
}

export function statisticsOf(samples: readonly KpiSample[]): SampleStatistics | undefined {
  if (samples.length === 0) return undefined;
  const values = samples.map((s) => s.value);
  return {
    count: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/**
 * The effect of a write applied at `appliedAt` (epoch ms): samples in the window before it against
 * samples in the window after it. No samples on either side is `no-data`, never a guess.
 *
 * @example judgeEffect(check, appliedAt, samples).verdict // 'adverse'
 */
export function judgeEffect(check: EffectCheck, appliedAt: number, samples: readonly KpiSample[]): EffectResult {
  const window = check.windowSeconds * 1000;
  const before = statisticsOf(samples.filter((s) => s.at >= appliedAt - window && s.at < appliedAt));
  const after = statisticsOf(samples.filter((s) => s.at > appliedAt && s.at <= appliedAt + window));
  if (!before || !after) return { verdict: 'no-data', ...(before ? { before } : {}), ...(after ? { after } : {}) };
  const delta = after.mean - before.mean;
  const towardExpected = check.expected === 'increase' ? delta : -delta;
  const verdict: EffectVerdict =
    towardExpected > check.tolerance ? 'improved' : towardExpected < -check.tolerance ? 'adverse' : 'no-change';
  return { verdict, before, after, delta };
}
