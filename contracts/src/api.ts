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
  evaluate: (id: string, v: number) => `/rulesets/${encodeURIComponent(id)}/versions/${v}/evaluate`,
  login: '/auth/login',
  logout: '/auth/logout',
  me: '/auth/me',
} as const;

/** Body of approve / reject: a signature, so the password is entered again. */
export interface SignatureRequest {
  password: string;
  meaning: 'approved' | 'rejected';
  comment?: string;
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
}

export interface ControlState {
  stopped: boolean;
  stoppedBy?: string;
  stoppedAt?: string;
}
