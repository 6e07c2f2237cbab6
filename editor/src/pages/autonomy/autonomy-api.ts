import type { ApiSchema, SignatureRequest } from '@loopgate/contracts';
import { answer, ApiError, loopgate } from '../../api/client';

/** The page's types are the API's, generated from its OpenAPI document. */
export type AutonomyLevel = ApiSchema<'AutonomyLevel'>;
export type AutonomyScope = ApiSchema<'StoredScope'>;
export type ScopeEvidence = ApiSchema<'ScopeEvidence'>;
export type PromotionEvidence = ApiSchema<'PromotionEvidence'>;
export type LevelChange = ApiSchema<'LevelChangeView'>;
export type Scorecard = ApiSchema<'Scorecard'>;
export type AutonomyDecision = ApiSchema<'AiDecisionView'>;

/** Earned autonomy's API, as this page uses it. */
export const autonomyApi = {
  scopes: () => answer(loopgate.GET('/autonomy/scopes')),
  evidence: (scopeId: string) =>
    answer(loopgate.GET('/autonomy/scopes/{scopeId}/evidence', { params: { path: { scopeId } } })),
  changes: () => answer(loopgate.GET('/autonomy/changes')),
  scorecards: (by: Scorecard['group']) => answer(loopgate.GET('/autonomy/scorecards', { params: { query: { by } } })),
  /** Signs the evidence as it was shown: its hash and its cut-off (`until`). */
  promote: (
    scopeId: string,
    toLevel: AutonomyLevel,
    evidence: { evidenceHash: string; until: string },
    signature: SignatureRequest,
  ) =>
    answer(
      loopgate.POST('/autonomy/scopes/{scopeId}/promotion', {
        params: { path: { scopeId } },
        body: {
          toLevel,
          evidenceHash: evidence.evidenceHash,
          evidenceUntil: evidence.until,
          password: signature.password,
          ...(signature.comment ? { comment: signature.comment } : {}),
        },
      }),
    ),
  decisions: (scopeId: string) =>
    answer(loopgate.GET('/autonomy/decisions', { params: { query: { scope: scopeId, limit: 50 } } })),
  feedback: (commandId: string, verdict: 'right' | 'wrong', note?: string) =>
    answer(
      loopgate.POST('/autonomy/decisions/{commandId}/feedback', {
        params: { path: { commandId } },
        body: { verdict, ...(note ? { note } : {}) },
      }),
    ),
  /** `fromLevel`: the level the person saw; the gateway answers LEVEL_CHANGED when another change came first. */
  demote: (scopeId: string, reason: string, fromLevel?: AutonomyLevel) =>
    answer(
      loopgate.POST('/autonomy/scopes/{scopeId}/demotion', {
        params: { path: { scopeId } },
        body: { reason, ...(fromLevel ? { fromLevel } : {}) },
      }),
    ),
  /** Downloads the training data of a model (all models when empty) as a file. */
  async download(format: 'ndjson' | 'parquet', model: string): Promise<void> {
    const { data, response } = await loopgate.GET('/autonomy/training-data', {
      params: { query: { format, ...(model ? { model } : {}) } },
      parseAs: 'blob',
    });
    if (!response.ok || !data)
      throw ApiError.fromAnswer(response.status, undefined, `export failed: HTTP ${response.status}`);
    const url = URL.createObjectURL(data);
    const link = document.createElement('a');
    link.href = url;
    link.download = `training-data${model ? `-${model}` : ''}.${format}`;
    link.click();
    URL.revokeObjectURL(url);
  },
};
