import type { IncomingMessage } from 'node:http';
import type { Role } from '@loopgate/contracts';
import { UserError } from '../common/errors';
import type { FlowEndpointConfig } from '../config/config';
import { isEditorToken, type EditorTokenSigner, type EditorUser } from '../red/editor-token';
import type { EditorCaller, FlowDeployRequest, RedGate } from '../red/red-proxy';
import type { Authenticator } from './authenticator';
import type { LoginThrottle } from './identity/login-throttle';
import type { RequestLimit } from './limits/request-limit';
import type { PasswordCheck } from './identity/password-check';
import type { UserEntity } from './identity/user.entity';
import type { SecurityAudit } from './security-audit';

export type { EditorUser } from '../red/editor-token';

/** Roles that may edit and deploy flows in Node-RED's editor; everyone else sees them read-only. */
const EDITING_ROLES: readonly Role[] = ['engineer', 'admin'];

/** How long the token one forwarded request carries into Node-RED is valid. */
const FORWARD_TOKEN_MS = 5 * 60_000;

export function editorUser(user: Pick<UserEntity, 'username' | 'roles'>): EditorUser {
  return {
    username: user.username,
    permissions: user.roles.some((role) => EDITING_ROLES.includes(role)) ? '*' : 'read',
  };
}

/** Where flow deploys go: change control in the gateway. */
export interface FlowDeployHandler {
  deploy(request: FlowDeployRequest): Promise<{ status: number; body: unknown } | 'forward'>;
}

export interface NodeRedGateDeps {
  authenticator: Authenticator;
  passwords: PasswordCheck;
  throttle: LoginThrottle;
  audit: SecurityAudit;
  signer: EditorTokenSigner;
  deploys: FlowDeployHandler;
  sessionTtlMinutes: number;
  endpoints: readonly FlowEndpointConfig[];
  /** Flow endpoint calls count against the caller's API allowance, bad credentials against the address. */
  requests?: Pick<RequestLimit, 'take'>;
  now?: () => number;
}

/** Does `endpoint` (the path under /flows-http) match a configured path (exact, or a prefix ending in `*`)? */
export function endpointRule(
  endpoints: readonly FlowEndpointConfig[],
  endpoint: string,
): FlowEndpointConfig | undefined {
  return endpoints.find((rule) =>
    rule.path.endsWith('*') ? endpoint.startsWith(rule.path.slice(0, -1)) : endpoint === rule.path,
  );
}

/**
 * The gateway's side of the Node-RED proxy: one sign-in (the console's session, or a Loopgate
 * password at Node-RED's login, becomes an editor token signed by the gateway), the same roles
 * (engineers and admins edit, others read), flow HTTP endpoints behind a session or a service
 * token, and deploys handed to flow change control.
 */
export class NodeRedGate implements RedGate {
  private readonly now: () => number;

  constructor(private readonly deps: NodeRedGateDeps) {
    this.now = deps.now ?? Date.now;
  }

  async editorCaller(req: IncomingMessage): Promise<EditorCaller | undefined> {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (bearer && isEditorToken(bearer)) {
      const user = this.deps.signer.read(bearer, this.now());
      if (!user)
        throw new UserError('UNAUTHENTICATED', 'the editor token is not valid or has expired: sign in again', 401);
      return { user, viaCookie: false };
    }
    const authentication = await this.deps.authenticator.authenticate(req);
    if (!authentication) return undefined;
    if (!authentication.user)
      throw new UserError('FORBIDDEN', 'a service token cannot open the flow editor: sign in as a person', 403);
    return { user: editorUser(authentication.user), viaCookie: authentication.via === 'cookie' };
  }

  forwardToken(user: EditorUser): string {
    return this.deps.signer.mint(user, this.now() + FORWARD_TOKEN_MS);
  }

  async admitFlowEndpoint(req: IncomingMessage, endpoint: string): Promise<void> {
    const rule = endpointRule(this.deps.endpoints, endpoint);
    // Behind a trusted proxy Express has put the address the proxy reports on the request.
    const address = (req as IncomingMessage & { ip?: string }).ip ?? req.socket?.remoteAddress;
    let authentication: Awaited<ReturnType<Authenticator['authenticate']>>;
    try {
      authentication = await this.deps.authenticator.authenticate(req);
    } catch (error) {
      await this.deps.requests?.take({ address });
      throw error;
    }
    if (!authentication) {
      await this.deps.requests?.take({ address });
      throw new UserError('UNAUTHENTICATED', 'flow endpoints need a console session or a service token', 401);
    }
    const principal = authentication.principal;
    await this.deps.requests?.take({ principal });
    if (rule?.auth === 'token' && principal.kind !== 'service')
      throw new UserError('TOKEN_REQUIRED', `${NODE_RED_HTTP_PATH}${endpoint} accepts service tokens only`, 403);
    if (rule?.tokens && principal.kind === 'service' && !rule.tokens.includes(principal.displayName))
      throw new UserError('FORBIDDEN', `service token ${principal.displayName} may not call this endpoint`, 403);
  }

  async passwordGrant(body: Buffer, contentType: string | undefined, address: string | undefined): Promise<unknown> {
    const fields = grantFields(body, contentType);
    if (fields.grant_type !== 'password' || !fields.username || !fields.password)
      throw new UserError('VALIDATION_FAILED', 'give grant_type "password", username and password', 400);
    await this.deps.throttle.attempt(address);
    const user = await this.deps.passwords.verify(fields.username, fields.password, 'node-red', address);
    const expiresIn = this.deps.sessionTtlMinutes * 60;
    await this.deps.audit.record({
      action: 'login',
      actor: user.username,
      message: `signed in to the flow editor (password)${address ? ` from ${address}` : ''}`,
    });
    return {
      access_token: this.deps.signer.mint(editorUser(user), this.now() + expiresIn * 1000),
      expires_in: expiresIn,
      token_type: 'Bearer',
    };
  }

  deploy(request: FlowDeployRequest): Promise<{ status: number; body: unknown } | 'forward'> {
    if (request.user.permissions !== '*')
      throw new UserError('FORBIDDEN', `${request.user.username} may read flows but not deploy them`, 403);
    return this.deps.deploys.deploy(request);
  }
}

const NODE_RED_HTTP_PATH = '/flows-http';

/** Node-RED's login posts JSON (the editor) or a form (OAuth clients); both carry the same fields. */
function grantFields(body: Buffer, contentType: string | undefined): Record<string, string | undefined> {
  const text = body.toString('utf8');
  if ((contentType ?? '').includes('json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UserError('MALFORMED_JSON', 'the body is not valid JSON', 400);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const entries = Object.entries(parsed as Record<string, unknown>).filter(([, v]) => typeof v === 'string');
    return Object.fromEntries(entries) as Record<string, string>;
  }
  return Object.fromEntries(new URLSearchParams(text));
}
