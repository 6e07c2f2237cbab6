import type { EffectCheck } from './effect';
import type { InputQualityPolicy } from './input-quality';
import type { DemotionPolicy, PromotionThresholds } from './evidence';
import { AUTONOMY_LEVELS, type AutonomyLevel, type ScopeSelector } from './levels';

/** A scope as the site file configures it: its first level and what happens to its writes. */
export interface ScopeSettings extends ScopeSelector {
  level: AutonomyLevel;
  /** An adverse effect beyond tolerance reverts the write through the ordered path. */
  autoRevertAdverse: boolean;
  /** The effect check of writes that name none; `{target}`, `{object}`, `{parameter}` in its KPI name the write's own. */
  effect?: EffectCheck;
}

/** The site file's `autonomy` section, validated. */
export interface AutonomySettings {
  scopes: ScopeSettings[];
  /** Thresholds to move up to `supervised` and to `autonomous`. */
  promotion: { supervised: PromotionThresholds; autonomous: PromotionThresholds };
  demotion: DemotionPolicy;
  /** How long a supervised write waits for its signature. */
  supervisedApprovalTtlSeconds: number;
  /** What an AI decision's inputs must be: not Bad, not Uncertain, not stale, not from a skewed clock. */
  inputQuality: InputQualityPolicy;
}

export const DEFAULT_AUTONOMY_SETTINGS: AutonomySettings = {
  scopes: [],
  promotion: {
    supervised: {
      periodDays: 30,
      minShadowDecisions: 200,
      minAgreement: 0.95,
      minReviewed: 20,
      maxInterlockRefusals: 0,
    },
    autonomous: {
      periodDays: 30,
      minSupervisedDecisions: 50,
      minApprovalRate: 0.95,
      maxInterlockRefusals: 0,
      maxOverrides: 0,
      maxReverts: 0,
      maxAdverseEffects: 0,
    },
  },
  demotion: {
    windowHours: 24,
    minDecisions: 10,
    maxOverrideRate: 0.2,
    maxRevertRate: 0.2,
    maxRejectionRate: 0.3,
    maxAdverseRate: 0.2,
  },
  supervisedApprovalTtlSeconds: 3600,
  inputQuality: { maxClockSkewSeconds: 5, refuseUncertain: true },
};

export class AutonomySettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`site.autonomy: ${problems.join('; ')}`);
    this.name = 'AutonomySettingsError';
  }
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);
const NAME = /^[A-Za-z0-9*][A-Za-z0-9._:/*-]{0,199}$/;

const THRESHOLD_KEYS: (keyof PromotionThresholds)[] = [
  'periodDays',
  'minShadowDecisions',
  'minAgreement',
  'minReviewed',
  'minSupervisedDecisions',
  'minApprovalRate',
  'maxInterlockRefusals',
  'maxOverrides',
  'maxReverts',
  'maxAdverseEffects',
];
const DEMOTION_KEYS: (keyof DemotionPolicy)[] = [
  'windowHours',
  'minDecisions',
  'maxOverrideRate',
  'maxRevertRate',
  'maxRejectionRate',
  'maxAdverseRate',
];
const SHARE_KEYS = new Set([
  'minAgreement',
  'minApprovalRate',
  'maxOverrideRate',
  'maxRevertRate',
  'maxRejectionRate',
  'maxAdverseRate',
]);

/**
 * Validates the site file's `autonomy` section (absent: no scope, every AI write is as before),
 * naming each bad field; unknown fields are refused so a typo never passes as a default.
 */
export function parseAutonomySettings(raw: unknown): AutonomySettings {
  if (raw === undefined || raw === null) return DEFAULT_AUTONOMY_SETTINGS;
  const problems: string[] = [];
  if (!isPlain(raw)) throw new AutonomySettingsError(['must be an object']);
  unknownKeys(raw, ['scopes', 'promotion', 'demotion', 'supervisedApprovalTtlSeconds', 'inputQuality'], '', problems);

  const numbers = <K extends string>(value: unknown, keys: K[], path: string, base: Record<K, number | undefined>) => {
    const out = { ...base };
    if (value === undefined) return out;
    if (!isPlain(value)) {
      problems.push(`${path}: must be an object`);
      return out;
    }
    unknownKeys(value, keys, path, problems);
    for (const key of keys) {
      const v = value[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (SHARE_KEYS.has(key) && v > 1)) {
        problems.push(`${path}.${key}: must be a number ${SHARE_KEYS.has(key) ? 'from 0 to 1' : '≥ 0'}`);
        continue;
      }
      out[key] = v;
    }
    return out;
  };

  const promotionRaw = raw.promotion;
  if (promotionRaw !== undefined && !isPlain(promotionRaw)) problems.push('promotion: must be an object');
  const promotion = isPlain(promotionRaw) ? promotionRaw : {};
  unknownKeys(promotion, ['supervised', 'autonomous'], 'promotion', problems);
  const settings: AutonomySettings = {
    scopes: [],
    promotion: {
      supervised: numbers(
        promotion.supervised,
        THRESHOLD_KEYS,
        'promotion.supervised',
        DEFAULT_AUTONOMY_SETTINGS.promotion.supervised as Record<keyof PromotionThresholds, number | undefined>,
      ) as PromotionThresholds,
      autonomous: numbers(
        promotion.autonomous,
        THRESHOLD_KEYS,
        'promotion.autonomous',
        DEFAULT_AUTONOMY_SETTINGS.promotion.autonomous as Record<keyof PromotionThresholds, number | undefined>,
      ) as PromotionThresholds,
    },
    demotion: numbers(
      raw.demotion,
      DEMOTION_KEYS,
      'demotion',
      DEFAULT_AUTONOMY_SETTINGS.demotion as Record<keyof DemotionPolicy, number | undefined>,
    ) as DemotionPolicy,
    supervisedApprovalTtlSeconds: DEFAULT_AUTONOMY_SETTINGS.supervisedApprovalTtlSeconds,
    inputQuality: { ...DEFAULT_AUTONOMY_SETTINGS.inputQuality },
  };
  const inputs = raw.inputQuality;
  if (inputs !== undefined) {
    if (!isPlain(inputs)) problems.push('inputQuality: must be an object');
    else {
      unknownKeys(inputs, ['maxAgeSeconds', 'maxClockSkewSeconds', 'refuseUncertain'], 'inputQuality', problems);
      for (const key of ['maxAgeSeconds', 'maxClockSkewSeconds'] as const) {
        const v = inputs[key];
        if (v === undefined) continue;
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
          problems.push(`inputQuality.${key}: must be a number ≥ 0`);
        else settings.inputQuality[key] = v;
      }
      if (inputs.refuseUncertain !== undefined) {
        if (typeof inputs.refuseUncertain !== 'boolean')
          problems.push('inputQuality.refuseUncertain: must be true or false');
        else settings.inputQuality.refuseUncertain = inputs.refuseUncertain;
      }
    }
  }
  const ttl = raw.supervisedApprovalTtlSeconds;
  if (ttl !== undefined) {
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1)
      problems.push('supervisedApprovalTtlSeconds: must be a positive integer');
    else settings.supervisedApprovalTtlSeconds = ttl;
  }

  const scopes = raw.scopes ?? [];
  if (!Array.isArray(scopes)) problems.push('scopes: must be an array');
  else {
    const seen = new Set<string>();
    scopes.forEach((scope: unknown, index) => {
      const path = `scopes[${index}]`;
      if (!isPlain(scope)) {
        problems.push(`${path}: must be an object`);
        return;
      }
      unknownKeys(scope, ['target', 'parameter', 'model', 'level', 'autoRevertAdverse', 'effect'], path, problems);
      const part = (key: 'target' | 'parameter' | 'model'): string => {
        const v = scope[key] ?? '*';
        if (typeof v !== 'string' || !NAME.test(v) || v.includes('|')) {
          problems.push(`${path}.${key}: must be a name or a pattern with "*"`);
          return '*';
        }
        return v;
      };
      const selector = { target: part('target'), parameter: part('parameter'), model: part('model') };
      const id = `${selector.target}|${selector.parameter}|${selector.model}`;
      if (seen.has(id)) problems.push(`${path}: scope ${id} is configured twice`);
      seen.add(id);
      const level = scope.level ?? 'shadow';
      if (!AUTONOMY_LEVELS.includes(level as AutonomyLevel))
        problems.push(`${path}.level: must be one of ${AUTONOMY_LEVELS.join(', ')}`);
      if (scope.autoRevertAdverse !== undefined && typeof scope.autoRevertAdverse !== 'boolean')
        problems.push(`${path}.autoRevertAdverse: must be true or false`);
      const effect =
        scope.effect === undefined ? undefined : parseEffectCheck(scope.effect, `${path}.effect`, problems);
      settings.scopes.push({
        ...selector,
        level: level as AutonomyLevel,
        autoRevertAdverse: scope.autoRevertAdverse === true,
        ...(effect ? { effect } : {}),
      });
    });
  }
  if (problems.length) throw new AutonomySettingsError(problems);
  return settings;
}

/** Validates an effect check (the site file's or a request's); pushes problems, returns undefined when bad. */
export function parseEffectCheck(raw: unknown, path: string, problems: string[]): EffectCheck | undefined {
  if (!isPlain(raw)) {
    problems.push(`${path}: must be an object`);
    return undefined;
  }
  const before = problems.length;
  unknownKeys(raw, ['kpi', 'expected', 'windowSeconds', 'tolerance', 'compare'], path, problems);
  if (typeof raw.kpi !== 'string' || raw.kpi.length < 1 || raw.kpi.length > 200)
    problems.push(`${path}.kpi: must be a KPI source name of 1-200 characters`);
  if (raw.expected !== 'increase' && raw.expected !== 'decrease')
    problems.push(`${path}.expected: must be "increase" or "decrease"`);
  if (typeof raw.windowSeconds !== 'number' || !Number.isInteger(raw.windowSeconds) || raw.windowSeconds < 1)
    problems.push(`${path}.windowSeconds: must be a positive integer`);
  if (typeof raw.tolerance !== 'number' || !Number.isFinite(raw.tolerance) || raw.tolerance < 0)
    problems.push(`${path}.tolerance: must be a number ≥ 0`);
  if (raw.compare !== undefined && raw.compare !== 'means' && raw.compare !== 'trend')
    problems.push(`${path}.compare: must be "means" or "trend"`);
  if (problems.length > before) return undefined;
  return {
    kpi: raw.kpi as string,
    expected: raw.expected as EffectCheck['expected'],
    windowSeconds: raw.windowSeconds as number,
    tolerance: raw.tolerance as number,
    ...(raw.compare !== undefined ? { compare: raw.compare as 'means' | 'trend' } : {}),
  };
}

function unknownKeys(value: Plain, known: readonly string[], path: string, problems: string[]): void {
  for (const key of Object.keys(value))
    if (!known.includes(key)) problems.push(`${path ? `${path}.` : ''}${key}: is not a known setting`);
}
