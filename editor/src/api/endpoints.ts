import {
  ApiPaths,
  type AuditQuery,
  type AuditRecord,
  type AuditVerification,
  type ControlState,
  type EvaluationResult,
  type LoginResponse,
  type ReplayReport,
  type ReplayRequest,
  type RuleSetFile,
  type RuleSetSummary,
  type RuleSetValidation,
  type RuleSetVersion,
  type SessionUser,
  type SignatureRequest,
  type TargetStatus,
  type WriteBackOutcome,
  type WriteBackList,
  type WriteBackQuery,
} from '@loopgate/contracts';
import { api, apiUrl, itemsOf } from './client';

/** The gateway's public API as the console uses it: one function per call, typed by the contracts. */
export const gateway = {
  login: (username: string, password: string) =>
    api<LoginResponse>('POST', ApiPaths.login, { body: { username, password } }),
  /** Ends the session of `token` (the one signed in, by default). */
  logout: (token?: string) => api<void>('POST', ApiPaths.logout, token ? { token } : {}),
  me: () => api<SessionUser>('GET', ApiPaths.me),
  providers: () => api<{ password: boolean; oidc?: { loginUrl: string } }>('GET', '/auth/providers'),

  writebacks: async (query: WriteBackQuery = {}) =>
    itemsOf<WriteBackOutcome>(await api('GET', ApiPaths.writebacks, { query: { ...query } }), 'outcomes'),
  /** One page of `GET /writebacks` as the server filtered it: outcomes, the cursor to older ones, the count. */
  writebackPage: (query: WriteBackQuery, signal?: AbortSignal) =>
    api<WriteBackList>('GET', ApiPaths.writebacks, { query: { ...query }, ...(signal ? { signal } : {}) }),
  approvals: async () => itemsOf<WriteBackOutcome>(await api('GET', ApiPaths.approvals), 'approvals', 'outcomes'),
  approve: (commandId: string, signature: SignatureRequest) =>
    api<WriteBackOutcome>('POST', ApiPaths.approve(commandId), { body: signature }),
  reject: (commandId: string, signature: SignatureRequest) =>
    api<WriteBackOutcome>('POST', ApiPaths.reject(commandId), { body: signature }),
  revert: (commandId: string, reason: string) =>
    api<WriteBackOutcome>('POST', ApiPaths.revert(commandId), { body: { reason } }),

  targets: async () => itemsOf<TargetStatus>(await api('GET', ApiPaths.targets), 'targets'),
  pauseTarget: (instance: string, reason?: string) =>
    api<TargetStatus>('POST', ApiPaths.targetPause(instance), { body: reason ? { reason } : {} }),
  resumeTarget: (instance: string, reason?: string) =>
    api<TargetStatus>('POST', ApiPaths.targetResume(instance), { body: reason ? { reason } : {} }),
  setShadow: (instance: string, enabled: boolean, reason?: string) =>
    api<TargetStatus>('POST', ApiPaths.targetShadow(instance), { body: { enabled, ...(reason ? { reason } : {}) } }),
  control: () => api<ControlState>('GET', ApiPaths.control),
  stopAll: () => api<ControlState>('POST', ApiPaths.stopAll),
  resumeAll: () => api<ControlState>('POST', ApiPaths.resumeAll),

  audit: async (query: AuditQuery) =>
    itemsOf<AuditRecord>(await api('GET', ApiPaths.audit, { query: { ...query } }), 'records'),
  verifyAudit: () => api<AuditVerification>('GET', ApiPaths.auditVerify),
  auditExportUrl: (format: 'csv' | 'ndjson', query: AuditQuery) => apiUrl(ApiPaths.auditExport, { ...query, format }),

  ruleSets: async () => itemsOf<RuleSetSummary>(await api('GET', ApiPaths.ruleSets), 'ruleSets'),
  versions: async (id: string) => itemsOf<RuleSetVersion>(await api('GET', ApiPaths.ruleSetVersions(id)), 'versions'),
  version: (id: string, v: number) => api<RuleSetVersion>('GET', ApiPaths.ruleSetVersion(id, v)),
  validate: (id: string, content: RuleSetFile) =>
    api<RuleSetValidation>('POST', ApiPaths.ruleSetValidate(id), { body: { content } }),
  submitVersion: (id: string, content: RuleSetFile, comment: string) =>
    api<RuleSetVersion>('POST', ApiPaths.ruleSetVersions(id), {
      body: { content, environment: 'production', comment },
    }),
  approveVersion: (id: string, v: number, signature: SignatureRequest) =>
    api<RuleSetVersion>('POST', ApiPaths.ruleSetVersionApprove(id, v), { body: signature }),
  rejectVersion: (id: string, v: number, signature: SignatureRequest) =>
    api<RuleSetVersion>('POST', ApiPaths.ruleSetVersionReject(id, v), { body: signature }),
  evaluate: (id: string, v: number, facts: Record<string, unknown>) =>
    api<EvaluationResult>('POST', ApiPaths.evaluate(id, v), { body: { facts } }),
  replay: (id: string, request: ReplayRequest) =>
    api<ReplayReport>('POST', ApiPaths.ruleSetReplay(id), { body: request }),
};
