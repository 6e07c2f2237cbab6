import { GatewayClient } from '../lib/gateway-client';
import type { Node, NodeAPI, NodeDef } from '../lib/node-red';
import { expandEnv, readEnv } from '../lib/typed-value';

export const GATEWAY_NODE_TYPE = 'loopgate-gateway';
/** Used when the token credential is empty: the embedded demo passes its service token this way. */
export const TOKEN_ENV = 'LOOPGATE_TOKEN';

export interface GatewayCredentials {
  token: string;
}

/** The runtime config node: a ready client, or the reason there is none. */
export interface GatewayConfigNode extends Node<GatewayCredentials> {
  /** `undefined` when the configuration is unusable; `problem` then says why. */
  client?: GatewayClient;
  problem?: string;
}

export interface GatewaySettings {
  url: string;
  token?: string;
  timeoutMs: number;
}

/**
 * Resolves the editor's URL (with `${VAR}` anywhere in it) and token into client settings,
 * or a one-line problem the dependent nodes show in their status.
 */
export function resolveGatewaySettings(
  rawUrl: unknown,
  rawTimeout: unknown,
  credentialToken: string | undefined,
  lookupEnv: (name: string) => string | undefined,
): { settings: GatewaySettings } | { problem: string } {
  const template = typeof rawUrl === 'string' ? rawUrl.trim() : '';
  if (template === '') return { problem: 'gateway URL is not set' };
  const { value, missing } = expandEnv(template, lookupEnv);
  if (missing.length > 0) return { problem: `gateway URL uses unset environment variable ${missing.join(', ')}` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `gateway URL is not a URL: ${value}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { problem: `gateway URL must be http or https, got ${url.protocol}` };
  const timeoutSeconds = rawTimeout === undefined || rawTimeout === '' ? 10 : Number(rawTimeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 300) {
    return { problem: `request timeout must be between 0 and 300 s, got ${String(rawTimeout)}` };
  }
  const token = credentialToken && credentialToken !== '' ? credentialToken : lookupEnv(TOKEN_ENV);
  return { settings: { url: value, token, timeoutMs: Math.round(timeoutSeconds * 1000) } };
}

/** Finds the gateway config node a node refers to, or says why it cannot be used. */
export function gatewayFor(RED: NodeAPI, id: unknown): { client: GatewayClient } | { problem: string } {
  if (typeof id !== 'string' || id === '') return { problem: 'no gateway configured' };
  const config = RED.nodes.getNode(id) as GatewayConfigNode | null;
  if (!config) return { problem: 'gateway configuration not deployed' };
  if (!config.client) return { problem: config.problem ?? 'gateway configuration unusable' };
  return { client: config.client };
}

/** Registers the `loopgate-gateway` config node: gateway URL + service token (a credential). */
export default function register(RED: NodeAPI): void {
  function LoopgateGatewayNode(this: GatewayConfigNode, def: NodeDef): void {
    RED.nodes.createNode(this, def);
    const resolved = resolveGatewaySettings(def.url, def.timeout, this.credentials?.token, (name) =>
      readEnv(RED, this, name),
    );
    if ('problem' in resolved) {
      this.problem = resolved.problem;
      this.warn(`loopgate-gateway: ${resolved.problem}`);
      return;
    }
    if (!resolved.settings.token)
      this.warn(`loopgate-gateway: no service token (credential empty and ${TOKEN_ENV} unset)`);
    this.client = new GatewayClient({
      baseUrl: resolved.settings.url,
      token: resolved.settings.token,
      timeoutMs: resolved.settings.timeoutMs,
    });
  }
  RED.nodes.registerType(GATEWAY_NODE_TYPE, LoopgateGatewayNode, { credentials: { token: { type: 'password' } } });
}
