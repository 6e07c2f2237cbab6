import type { SignatureRequest } from '@loopgate/contracts';
import { api, apiUrl } from '../../api/client';
import { getSession } from '../../api/session';

export type AutonomyLevel = 'shadow' | 'supervised' | 'autonomous';

export interface AutonomyScope {
  scopeId: string;
  target: string;
  parameter: string;
  model: string;
  level: AutonomyLevel;
  changedAt: string;
  changedBy: string;
}

export interface ScopeEvidence {
  shadowDecisions: number;
  agreed: number;
  disagreed: number;
  agreement: number | null;
  supervisedApproved: number;
  supervisedRejected: number;
  approvalRate: number | null;
  applied: number;
  refusedByCode: Record<string, number>;
  interlockRefusals: number;
  overridden: number;
  reverted: number;
  effects: Record<'improved' | 'no-change' | 'adverse' | 'no-data', number>;
}

export interface PromotionEvidence {
  scopeId: string;
  level: AutonomyLevel;
  nextLevel: AutonomyLevel | null;
  periodDays: number;
  since: string;
  /** The evidence's cut-off; the signature binds the evidence up to it. */
  until: string;
  evidence: ScopeEvidence;
  unmet: { code: string; threshold: number; actual: number | null; message: string }[];
  evidenceHash: string;
}

export interface LevelChange {
  id: string;
  scopeId: string;
  from: AutonomyLevel | null;
  to: AutonomyLevel;
  kind: 'configured' | 'promoted' | 'demoted';
  actor: string;
  at: string;
  reason?: string;
  evidenceHash?: string;
}

export interface ScorecardFigures {
  proposals: number;
  shadow: number;
  applied: number;
  refusedByCode: Record<string, number>;
  approved: number;
  rejected: number;
  overridden: number;
  reverted: number;
  effects: Record<string, number>;
  feedbackRight: number;
  feedbackWrong: number;
}

export interface Scorecard extends ScorecardFigures {
  group: 'model' | 'rule-set' | 'scope';
  key: string;
  version: string;
  weeks: ({ week: string } & ScorecardFigures)[];
}

export interface AutonomyDecision {
  commandId: string;
  scopeId: string | null;
  level: AutonomyLevel;
  objectId: string;
  parameter: string;
  model: { id: string; version: string | null };
  state: string;
  reasonCode: string | null;
  approval: string | null;
  overridden: number;
  reverted: boolean;
  value: unknown;
  priorValue: unknown;
  effect: {
    verdict: string;
    before?: { mean: number; count: number };
    after?: { mean: number; count: number };
    /** With a trend comparison: the mean the trend before the write expected after it. */
    expectedAfter?: number;
    check: { kpi: string };
  } | null;
  feedback: { verdict: 'right' | 'wrong'; note: string | null; by: string } | null;
  receivedAt: string;
}

const scopePath = (scopeId: string) => `/autonomy/scopes/${encodeURIComponent(scopeId)}`;

/** Earned autonomy's API, as this page uses it. */
export const autonomyApi = {
  scopes: () => api<AutonomyScope[]>('GET', '/autonomy/scopes'),
  evidence: (scopeId: string) => api<PromotionEvidence>('GET', `${scopePath(scopeId)}/evidence`),
  changes: () => api<LevelChange[]>('GET', '/autonomy/changes'),
  scorecards: (by: Scorecard['group']) => api<Scorecard[]>('GET', '/autonomy/scorecards', { query: { by } }),
  /** Signs the evidence as it was shown: its hash and its cut-off (`until`). */
  promote: (
    scopeId: string,
    toLevel: AutonomyLevel,
    evidence: { evidenceHash: string; until: string },
    signature: SignatureRequest,
  ) =>
    api<AutonomyScope>('POST', `${scopePath(scopeId)}/promotion`, {
      body: {
        toLevel,
        evidenceHash: evidence.evidenceHash,
        evidenceUntil: evidence.until,
        password: signature.password,
        ...(signature.comment ? { comment: signature.comment } : {}),
      },
    }),
  decisions: (scopeId: string) =>
    api<AutonomyDecision[]>('GET', '/autonomy/decisions', { query: { scope: scopeId, limit: 50 } }),
  feedback: (commandId: string, verdict: 'right' | 'wrong', note?: string) =>
    api<AutonomyDecision>('POST', `/autonomy/decisions/${encodeURIComponent(commandId)}/feedback`, {
      body: { verdict, ...(note ? { note } : {}) },
    }),
  /** `fromLevel`: the level the person saw; the gateway answers LEVEL_CHANGED when another change came first. */
  demote: (scopeId: string, reason: string, fromLevel?: AutonomyLevel) =>
    api<AutonomyScope>('POST', `${scopePath(scopeId)}/demotion`, {
      body: { reason, ...(fromLevel ? { fromLevel } : {}) },
    }),
  /** Downloads the training data of a model (all models when empty) as a file. */
  async download(format: 'ndjson' | 'parquet', model: string): Promise<void> {
    const session = getSession();
    const response = await fetch(apiUrl('/autonomy/training-data', { format, model: model || undefined }), {
      headers: session?.token ? { Authorization: `Bearer ${session.token}` } : {},
      credentials: 'same-origin',
    });
    if (!response.ok) throw new Error(`export failed: HTTP ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement('a');
    link.href = url;
    link.download = `training-data${model ? `-${model}` : ''}.${format}`;
    link.click();
    URL.revokeObjectURL(url);
  },
};
