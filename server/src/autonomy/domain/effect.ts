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
  /**
   * What the after-window is compared with: `means` (default) the before-window's mean; `trend`
   * the before-window's straight-line trend carried over the after-window, for a KPI that drifts
   * by itself (a wearing tool's load rises whether or not anyone writes).
   */
  compare?: 'means' | 'trend';
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
  /** after.mean − what it is compared with (before.mean, or the trend's value over the after-window). */
  delta?: number;
  /** How it was compared: `trend` needs three samples or more before the write, else `means`. */
  compared?: 'means' | 'trend';
  /** With `trend`: the mean the before-window's trend expected over the after-window. */
  expectedAfter?: number;
}

/** A judged effect as it is stored and shown: the check it was judged by, the result, and when. */
export interface JudgedEffect extends EffectResult {
  check: EffectCheck;
  judgedAt: string;
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
 * samples in the window after it — their means, or, with `compare: 'trend'`, the after-window's
 * mean against where the before-window's trend (least squares) would have put it. No samples on
 * either side is `no-data`, never a guess; a trend from fewer than three samples is no trend, and
 * the means are compared.
 *
 * @example judgeEffect(check, appliedAt, samples).verdict // 'adverse'
 */
export function judgeEffect(check: EffectCheck, appliedAt: number, samples: readonly KpiSample[]): EffectResult {
  const window = check.windowSeconds * 1000;
  const beforeSamples = samples.filter((s) => s.at >= appliedAt - window && s.at < appliedAt);
  const afterSamples = samples.filter((s) => s.at > appliedAt && s.at <= appliedAt + window);
  const before = statisticsOf(beforeSamples);
  const after = statisticsOf(afterSamples);
  if (!before || !after) return { verdict: 'no-data', ...(before ? { before } : {}), ...(after ? { after } : {}) };
  const trend = check.compare === 'trend' ? trendOf(beforeSamples) : undefined;
  const expectedAfter = trend
    ? trend.intercept + trend.slope * (afterSamples.reduce((sum, s) => sum + s.at, 0) / afterSamples.length)
    : undefined;
  const delta = after.mean - (expectedAfter ?? before.mean);
  const towardExpected = check.expected === 'increase' ? delta : -delta;
  const verdict: EffectVerdict =
    towardExpected > check.tolerance ? 'improved' : towardExpected < -check.tolerance ? 'adverse' : 'no-change';
  return {
    verdict,
    before,
    after,
    delta,
    ...(check.compare === 'trend' ? { compared: expectedAfter === undefined ? 'means' : 'trend' } : {}),
    ...(expectedAfter !== undefined ? { expectedAfter } : {}),
  };
}

/** The least-squares line through the samples (value per epoch ms); none from fewer than three at two times or more. */
function trendOf(samples: readonly KpiSample[]): { slope: number; intercept: number } | undefined {
  if (samples.length < 3) return undefined;
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.at, 0) / n;
  const meanV = samples.reduce((sum, s) => sum + s.value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const s of samples) {
    covariance += (s.at - meanT) * (s.value - meanV);
    variance += (s.at - meanT) ** 2;
  }
  if (variance === 0) return undefined;
  const slope = covariance / variance;
  return { slope, intercept: meanV - slope * meanT };
}
