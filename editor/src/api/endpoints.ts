import type { AuditQuery, ReplayRequest, RuleSetFile, SignatureRequest, WriteBackQuery } from '@loopgate/contracts';
import { ApiPaths } from '@loopgate/contracts';
import { answer, apiUrl, loopgate } from './client';

const path = <T extends Record<string, string>>(params: T) => ({ params: { path: params } });
/**
 * A query in the document's terms: the contracts' query types say `count: true`, a query string
 * says `'true'`. The typed client checks the rest against the document.
 */
const query = <T extends object>(q: T) => ({
  params: {
    query: Object.fromEntries(
      Object.entries(q).map(([key, value]) => [key, typeof value === 'boolean' ? String(value) : value]),
    ) as never,
  },
});
/** A rule set file as a request body (the DTO takes it as an object the server validates itself). */
const content = (file: RuleSetFile) => file as unknown as Record<string, unknown>;

/** The gateway's public API as the console uses it: one function per call, typed by the OpenAPI document. */
export const gateway = {
  login: (username: string, password: string) => answer(loopgate.POST('/auth/login', { body: { username, password } })),
  /** Ends the session of `token` (the one signed in, by default). */
  logout: (token?: string) =>
    answer(loopgate.POST('/auth/logout', token ? { headers: { Authorization: `Bearer ${token}` } } : {})),
  me: () => answer(loopgate.GET('/auth/me')),
  providers: () => answer(loopgate.GET('/auth/providers')),

  writebacks: async (q: WriteBackQuery = {}) => (await answer(loopgate.GET('/writebacks', query(q)))).outcomes,
  /** One page of `GET /writebacks` as the server filtered it: outcomes, the cursor to older ones, the count. */
  writebackPage: (q: WriteBackQuery, signal?: AbortSignal) =>
    answer(loopgate.GET('/writebacks', { ...query(q), ...(signal ? { signal } : {}) })),
  approvals: async () => (await answer(loopgate.GET('/approvals'))).approvals,
  approve: (commandId: string, signature: SignatureRequest) =>
    answer(loopgate.POST('/writebacks/{commandId}/approve', { ...path({ commandId }), body: signature })),
  reject: (commandId: string, signature: SignatureRequest) =>
    answer(loopgate.POST('/writebacks/{commandId}/reject', { ...path({ commandId }), body: signature })),
  revert: (commandId: string, reason: string) =>
    answer(loopgate.POST('/writebacks/{commandId}/revert', { ...path({ commandId }), body: { reason } })),

  targets: async () => (await answer(loopgate.GET('/targets'))).targets,
  pauseTarget: (instance: string, reason?: string) =>
    answer(loopgate.POST('/targets/{instance}/pause', { ...path({ instance }), body: reason ? { reason } : {} })),
  resumeTarget: (instance: string, reason?: string) =>
    answer(loopgate.POST('/targets/{instance}/resume', { ...path({ instance }), body: reason ? { reason } : {} })),
  setShadow: (instance: string, enabled: boolean, reason?: string) =>
    answer(
      loopgate.POST('/targets/{instance}/shadow', {
        ...path({ instance }),
        body: { enabled, ...(reason ? { reason } : {}) },
      }),
    ),
  control: () => answer(loopgate.GET('/control')),
  stopAll: () => answer(loopgate.POST('/control/stop', { body: {} })),
  resumeAll: () => answer(loopgate.POST('/control/resume', { body: {} })),

  audit: async (q: AuditQuery) => (await answer(loopgate.GET('/audit', query(q)))).records,
  verifyAudit: () => answer(loopgate.GET('/audit/verify')),
  auditExportUrl: (format: 'csv' | 'ndjson', q: AuditQuery) => apiUrl(ApiPaths.auditExport, { ...q, format }),

  ruleSets: () => answer(loopgate.GET('/rulesets')),
  versions: (id: string) => answer(loopgate.GET('/rulesets/{id}/versions', path({ id }))),
  version: (id: string, v: number) =>
    answer(loopgate.GET('/rulesets/{id}/versions/{version}', path({ id, version: String(v) }))),
  validate: (id: string, file: RuleSetFile) =>
    answer(loopgate.POST('/rulesets/{id}/validate', { ...path({ id }), body: { content: content(file) } })),
  submitVersion: (id: string, file: RuleSetFile, comment: string) =>
    answer(
      loopgate.POST('/rulesets/{id}/versions', {
        ...path({ id }),
        body: { content: content(file), environment: 'production', comment },
      }),
    ),
  approveVersion: (id: string, v: number, signature: SignatureRequest) =>
    answer(
      loopgate.POST('/rulesets/{id}/versions/{version}/approve', {
        ...path({ id, version: String(v) }),
        body: signature,
      }),
    ),
  rejectVersion: (id: string, v: number, signature: SignatureRequest) =>
    answer(
      loopgate.POST('/rulesets/{id}/versions/{version}/reject', {
        ...path({ id, version: String(v) }),
        body: signature,
      }),
    ),
  evaluate: (id: string, v: number, facts: Record<string, unknown>) =>
    answer(
      loopgate.POST('/rulesets/{id}/versions/{version}/evaluate', {
        ...path({ id, version: String(v) }),
        body: { facts },
      }),
    ),
  replay: (id: string, { content: file, ...request }: ReplayRequest) =>
    answer(
      loopgate.POST('/rulesets/{id}/replay', {
        ...path({ id }),
        body: { ...request, ...(file ? { content: content(file) } : {}) },
      }),
    ),
};
