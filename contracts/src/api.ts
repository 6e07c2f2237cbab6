import type { AuditOutcome, AuditRecord } from './audit';
import type { ValidationIssue } from './errors';
import type { Permission } from './permissions';
import type { DecisionRecord, EvaluationResult, RuleEvent, RuleSetFile } from './ruleset';
import type { CommandState, WriteBackOutcome } from './writeback';

/**
 * The public REST API's paths, shared by the palette, the console and the CLI.
 * All paths are below `/api/v1`. Bodies are the types of this module.
 */
export const API_PREFIX = '/api/v1';

export const ApiPaths = {
  writebacks: '/writebacks',
  writeback: (commandId: string) => `/writebacks/${encodeURIComponent(commandId)}`,
  approve: (commandId: string) => `/writebacks/${encodeURIComponent(commandId)}/approve`,
  reject: (commandId: string) => `/writebacks/${encodeURIComponent(commandId)}/reject`,
  revert: (commandId: string) => `/writebacks/${encodeURIComponent(commandId)}/revert`,
  approvals: '/approvals',
  outcomesStream: '/outcomes/stream',
  audit: '/audit',
  auditVerify: '/audit/verify',
  auditExport: '/audit/export',
  targets: '/targets',
  targetPause: (instance: string) => `/targets/${encodeURIComponent(instance)}/pause`,
  targetResume: (instance: string) => `/targets/${encodeURIComponent(instance)}/resume`,
  targetShadow: (instance: string) => `/targets/${encodeURIComponent(instance)}/shadow`,
  control: '/control',
  stopAll: '/control/stop',
  resumeAll: '/control/resume',
  ruleSets: '/rulesets',
  ruleSet: (id: string) => `/rulesets/${encodeURIComponent(id)}`,
  ruleSetVersions: (id: string) => `/rulesets/${encodeURIComponent(id)}/versions`,
  ruleSetVersion: (id: string, v: number) => `/rulesets/${encodeURIComponent(id)}/versions/${v}`,
  decisions: '/decisions',
  kpiSamples: '/autonomy/kpi-samples',
  evaluate: (id: string, v: number) => `/rulesets/${encodeURIComponent(id)}/versions/${v}/evaluate`,
  ruleSetVersionApprove: (id: string, v: number) => `/rulesets/${encodeURIComponent(id)}/versions/${v}/approve`,
  ruleSetVersionReject: (id: string, v: number) => `/rulesets/${encodeURIComponent(id)}/versions/${v}/reject`,
  ruleSetValidate: (id: string) => `/rulesets/${encodeURIComponent(id)}/validate`,
  ruleSetReplay: (id: string) => `/rulesets/${encodeURIComponent(id)}/replay`,
  ruleSetDraft: (id: string) => `/rulesets/${encodeURIComponent(id)}/draft`,
  ruleSetDiff: (id: string) => `/rulesets/${encodeURIComponent(id)}/diff`,
  ruleSetLatest: (id: string) => `/rulesets/${encodeURIComponent(id)}/versions/latest`,
  ruleSetVersionRollback: (id: string, v: number) => `/rulesets/${encodeURIComponent(id)}/versions/${v}/rollback`,
  ruleSetVersionFile: (id: string, v: number | 'latest') => `/rulesets/${encodeURIComponent(id)}/versions/${v}/file`,
  evaluateBatch: (id: string, v: number) => `/rulesets/${encodeURIComponent(id)}/versions/${v}/evaluate/batch`,
  ruleSetImport: '/rulesets/import',
  login: '/auth/login',
  logout: '/auth/logout',
  me: '/auth/me',
} as const;

/** `POST /autonomy/kpi-samples`: one sample of a KPI that effect checks name (204 No Content). */
export interface KpiSampleReport {
  /** The KPI source named by effect checks: an OPC UA node id, an MQTT topic, a fact name. */
  kpi: string;
  value: number;
  /** ISO 8601 with zone: when the source measured it; the gateway's clock when absent. */
  at?: string;
}

/** Body of approve / reject: a signature, so the password is entered again. */
export interface SignatureRequest {
  password: string;
  meaning: 'approved' | 'rejected';
  comment?: string;
}

/** `POST /writebacks/{id}/release`: a quarantined command is written again from a fresh read. */
export interface QuarantineReleaseRequest {
  reason: string;
}

/** `POST /writebacks/{id}/resolve`: an operator says what the target holds for a quarantined command. */
export interface QuarantineResolveRequest {
  outcome: 'applied' | 'not-applied';
  reason: string;
}

export interface RevertRequest {
  reason: string;
}

export const ROLES = ['viewer', 'operator', 'qa', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface SessionUser {
  username: string;
  displayName: string;
  roles: Role[];
}

/** `GET /auth/me`: who is signed in, as what, and what they may do. */
export interface CurrentUser extends SessionUser {
  /** A person (`user`) or a service token (`service`). */
  kind: 'user' | 'service';
  permissions: Permission[];
}

/** `GET /auth/providers`: how one may sign in. */
export interface AuthProviders {
  password: true;
  /** Present when single sign-on through OpenID Connect is configured. */
  oidc?: { loginUrl: string };
}

/** A console account as the API shows it: never the password or its hash. */
export interface UserView {
  username: string;
  displayName: string;
  roles: Role[];
  disabled: boolean;
  lockedUntil?: string;
  /** Signs in through OpenID Connect. */
  sso: boolean;
  /** Has a local password (needed for electronic signatures). */
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

/** `GET /users`. */
export interface UserList {
  users: UserView[];
}

/** What the API shows of a service token: never the token or its hash. */
export interface ServiceTokenView {
  id: string;
  name: string;
  hint: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
  revokedBy?: string;
}

/** `GET /tokens`. */
export interface ServiceTokenList {
  tokens: ServiceTokenView[];
}

/** `POST /tokens`: the new token, shown this once. */
export interface NewServiceToken extends ServiceTokenView {
  token: string;
}

export interface LoginResponse {
  token: string;
  expiresAt: string;
  user: SessionUser;
}

export interface TargetStatus {
  instance: string;
  kind: string;
  healthy: boolean;
  healthMessage?: string;
  paused: boolean;
  shadow: boolean;
  queueDepth: number;
  /** Writes per second over the last 10 s, against the target's configured limit. */
  currentRate: number;
  rateLimit: number;
  lastErrors: { time: string; code: string; message: string }[];
  /**
   * Present while the gateway has marked the target down (consecutive outage signals): its queues
   * hold, nothing fails for it, and it is probed with backoff until it answers.
   */
  down?: { since: string; reason: string; probes: number; lastProbe?: string; nextProbeAt: string };
  /** The mirror of the audit trail into the MES's own event log, where the target has one and it is on (`GET /targets`). */
  eventLog?: MesEventLogStatus;
}

/** How far the audit trail has reached a target's MES event log. */
export interface MesEventLogStatus {
  /** The last audit sequence number the log has (or that needed no event). */
  mirroredThrough: number;
  /** Audit records of this target still to be sent: delayed, never lost. */
  pending: number;
  /** The last signed checkpoint the log has (0: none yet). */
  checkpointThrough: number;
  lastSentAt?: string;
  /** While sending fails: why, and when it is tried again. */
  lastError?: { code: string; message: string; at: string };
  nextAttemptAt?: string;
  /** The gateway process that feeds the log now. */
  mirroredBy?: string;
}

export interface ControlState {
  stopped: boolean;
  stoppedBy?: string;
  stoppedAt?: string;
}

// ---- Shapes the console uses (issue 7). Additive; the gateway's DTOs mirror them. ----

/** One line of `GET /rulesets`. */
export interface RuleSetSummary {
  id: string;
  name: string;
  description?: string;
  /** Newest version of any status, and the version production runs. */
  latestVersion?: number;
  publishedVersion?: number;
  pendingVersions?: number[];
  /** The versions waiting for a second person: who proposed each, when and why. */
  awaiting?: { version: number; author: string; createdAt: string; comment?: string }[];
  /** A draft is being edited. */
  hasDraft?: boolean;
}

/** `POST /rulesets/{id}/versions`: a new immutable version; production versions wait for a second person. */
export interface CreateRuleSetVersionRequest {
  content: RuleSetFile;
  environment?: 'production' | 'test';
  comment?: string;
}

/** `POST /rulesets/{id}/validate`: a draft in, its issues out (paths are inside the rule set file). */
export interface RuleSetValidateRequest {
  content: RuleSetFile;
}
export interface RuleSetValidation {
  valid: boolean;
  issues: ValidationIssue[];
}

/** `POST /rulesets/{id}/versions/{v}/evaluate`: facts in, `EvaluationResult` out. */
export interface EvaluateRequest {
  facts: Record<string, unknown>;
}

/** `POST /rulesets/{id}/versions/{v}/evaluate/batch`: one result or error per set of facts, in order. */
export interface EvaluateBatchRequest {
  facts: Record<string, unknown>[];
}
export interface EvaluateBatchResponse {
  results: ({ ok: true; result: EvaluationResult } | { ok: false; error: { code: string; message: string } })[];
}

/** `POST /rulesets/import`: rule set files as kept in `rules/sets/`, saved as drafts or submitted as versions. */
export interface RuleSetImportRequest {
  files: { name?: string; text: string }[];
  as?: 'draft' | 'version';
  environment?: 'production' | 'test';
  comment?: string;
}
export interface RuleSetImportResult {
  files: {
    name?: string;
    ruleSetId?: string;
    result: 'draft-saved' | 'version-created' | 'unchanged' | 'invalid';
    version?: number;
    issues?: ValidationIssue[];
  }[];
}

/** `POST /rulesets/{id}/replay`: a candidate (version or draft) over a recorded window, against the live version. */
export interface ReplayRequest {
  version?: number;
  content?: RuleSetFile;
  /** ISO 8601 window of recorded decisions; the last 24 h when absent. */
  from?: string;
  to?: string;
}

/** One recorded decision where the candidate and the live version asked for different write-backs. */
export interface ReplayDifference {
  time: string;
  facts: Record<string, unknown>;
  inferenceId?: string;
  /** Events only the candidate fired, and events only the live version fired. */
  onlyCandidate: RuleEvent[];
  onlyLive: RuleEvent[];
}

export interface ReplayReport {
  ruleSetId: string;
  candidateVersion?: number;
  liveVersion?: number;
  from: string;
  to: string;
  decisions: number;
  /** Decisions where the candidate would have requested a write-back the live version did not, and the reverse. */
  wouldAdd: number;
  wouldRemove: number;
  differences: ReplayDifference[];
  /** Versions that made the recorded decisions (the live version at the time of each). */
  liveVersions?: number[];
  /** Decisions the candidate could not evaluate (e.g. a fact it reads was not recorded). */
  candidateErrors?: { time: string; code: string; message: string }[];
  /** `differences` holds at most this many decisions; the counts cover all of them. */
  differencesLimit?: number;
}

/**
 * One message of `GET /outcomes/stream` (server-sent events, `data:` is this JSON; the SSE `event:`
 * name repeats `type`). `outcome` on every state change of a command, `decision` on every rule
 * evaluation that fired, `control` when dispatch is stopped or resumed, `target` when a target's
 * pause or shadow state changes.
 */
export type OutcomeStreamMessage =
  | { type: 'outcome'; outcome: WriteBackOutcome }
  | { type: 'decision'; decision: DecisionRecord }
  | { type: 'control'; control: ControlState }
  | { type: 'target'; target: TargetStatus }
  /** A rule set version was published (here or through another gateway process): rule nodes load it at once. */
  | { type: 'ruleset'; ruleSet: { ruleSetId: string; version: number; checksum: string } };

/** Query of `GET /writebacks` (newest first). */
export interface WriteBackQuery {
  state?: CommandState;
  target?: string;
  limit?: number;
  /** ISA-95 object id. */
  object?: string;
  inferenceId?: string;
  requestId?: string;
  /** Paging: commands received before this command (its id, from `nextBefore`). */
  before?: string;
  /** Several states, comma-separated. */
  states?: string;
  initiator?: 'ai' | 'human';
  /** The lineage's modelId / ruleSetId. */
  model?: string;
  ruleSet?: string;
  /** Received at or after / before (ISO 8601 with zone). */
  since?: string;
  until?: string;
  /** `true`: the answer counts every matching command. */
  count?: 'true' | 'false';
}

/** Query of `GET /audit` and `GET /audit/export` (`format=csv|ndjson` for export). */
export interface AuditQuery {
  from?: string;
  to?: string;
  target?: string;
  /** ISA-95 object id. */
  object?: string;
  outcome?: AuditOutcome;
  inferenceId?: string;
  actor?: string;
  /** Free text over command id, parameter, reason code and message. */
  q?: string;
  limit?: number;
  /** Records with a sequence below this one (paging backwards from the newest). */
  before?: number;
}

/** Body of `POST /control/stop` and `POST /targets/{instance}/pause`. */
export interface StopRequest {
  reason?: string;
}

/** Body of `POST /targets/{instance}/shadow`. */
export interface ShadowModeRequest {
  enabled: boolean;
  /** Why; recorded in the audit trail. */
  reason?: string;
}

// ---- Response envelopes of the gateway's list endpoints (issue 3). ----

/** `GET /writebacks`, newest first; `nextBefore` pages on (pass it as `before`). */
export interface WriteBackList {
  outcomes: WriteBackOutcome[];
  nextBefore?: string;
  /** With `?count=true`: how many commands match the filters, on every page. */
  count?: number;
}

/** `GET /approvals`: commands waiting for a signature, oldest first. */
export interface ApprovalList {
  approvals: WriteBackOutcome[];
}

/** `GET /targets`. */
export interface TargetList {
  targets: TargetStatus[];
}

/** `GET /audit`, newest first; pass `nextBefore` as `before` for the next page. */
export interface AuditPage {
  records: AuditRecord[];
  nextBefore?: number;
}
