import type { HealthCheckResult } from '../health/health.module';

/** Where Node-RED's editor and HTTP-in nodes are served, in the child and through the gateway alike. */
export const NODE_RED_ADMIN_ROOT = '/red';
export const NODE_RED_HTTP_ROOT = '/flows-http';

/** What the gateway sends the Node-RED child once, right after it starts (over IPC, never in its environment). */
export interface ChildStart {
  type: 'start';
  /** The least-privilege service token flows use to call the gateway (the palette reads it as LOOPGATE_TOKEN). */
  serviceToken: string;
  /** Checks editor tokens; the matching private key stays in the gateway. */
  editorPublicKeyPem: string;
  /** Encrypts flow credentials at rest (flows_cred.json). */
  credentialSecret: string;
  userDir: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** `exec` is excluded unless the site file enables it. */
  enableExec: boolean;
  /** OS user to drop to before anything of Node-RED loads (the child starts as root only to do this). */
  runAs?: { uid: number; gid: number };
}

export interface LivenessNode {
  nodeId: string;
  name?: string;
  type: string;
  flowId?: string;
  stale: boolean;
}

export type GatewayToChild = ChildStart | { type: 'liveness'; id: number } | { type: 'stop' };

export type ChildToGateway =
  | { type: 'listening'; port: number; uid: number; gid: number }
  | { type: 'fatal'; code: string; message: string }
  | { type: 'liveness'; id: number; nodes: LivenessNode[] };

/** The palette's flow-input liveness, as the child reports it, turned into a health check. */
export function flowInputsHealthOf(nodes: readonly LivenessNode[]): HealthCheckResult {
  const stale = nodes.filter((n) => n.stale);
  if (stale.length === 0) return { ok: true, critical: false };
  const names = stale.map((n) => `${n.name || n.type} (${n.nodeId}${n.flowId ? ` in ${n.flowId}` : ''})`);
  return { ok: false, critical: false, message: `no input for too long: ${names.join(', ')}` };
}
