import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UserError } from '../../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import { Authenticator, type Authentication } from '../authenticator';
import { RequestLimit, RequestLimitExceeded, type Allowance } from '../limits/request-limit';
import { hasPermission, PERMISSION_KEY, PERMISSIONS, type Permission } from '../permissions';
import type { Principal } from '../principal';

/** The request as the guards leave it for handlers and `@CurrentPrincipal()`. */
export interface AuthenticatedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined> & {
    authorization?: string;
    cookie?: string;
    origin?: string;
    host?: string;
  };
  /** The client's address (behind a trusted proxy, the one it reports). */
  ip?: string;
  principal?: Principal;
  authentication?: Authentication;
}

/** What the guard needs of the response: the allowance headers. */
interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The global guard: every route must declare `@RequirePermission`; a route that does not is
 * refused (fail closed). `public` routes need no credentials; others need a principal holding
 * the permission (401 without one, 403 with the wrong role). Every request counts against its
 * caller's allowance (`RequestLimit`: 429 past it), bad credentials against the client address.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  private readonly logger = new Logger('PermissionGuard');

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: Authenticator,
    private readonly requestLimit: RequestLimit,
    @Inject(LOOPGATE_CONFIG) private readonly config: Pick<LoopgateConfig, 'corsOrigins'>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!permission || !PERMISSIONS.includes(permission)) {
      this.logger.error(
        `${context.getClass().name}.${context.getHandler().name} declares no @RequirePermission: refused`,
      );
      throw new UserError('PERMISSION_UNDECLARED', 'this route declares no permission and is refused', 403);
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<HeaderSink>();
    let authentication: Authentication | undefined;
    try {
      authentication = await this.authenticate(request, permission);
    } catch (error) {
      // Bad credentials are counted against the address: guessing tokens is a flood like any other.
      await this.count(response, { address: request.ip });
      throw error;
    }
    await this.count(response, authentication ? { principal: authentication.principal } : { address: request.ip });
    if (authentication) {
      request.authentication = authentication;
      request.principal = authentication.principal;
    }
    if (permission === 'public') return true;
    if (!authentication) throw new UserError('UNAUTHENTICATED', 'sign in first', 401);
    if (authentication.via === 'cookie' && !SAFE_METHODS.has(request.method)) this.refuseForeignOrigin(request);
    if (!hasPermission(authentication.principal, permission)) {
      throw new UserError('FORBIDDEN', `${authentication.principal.id} lacks the permission ${permission}`, 403);
    }
    return true;
  }

  private async count(response: HeaderSink, origin: Parameters<RequestLimit['take']>[0]): Promise<void> {
    try {
      setAllowance(response, await this.requestLimit.take(origin));
    } catch (error) {
      if (error instanceof RequestLimitExceeded) setAllowance(response, error.allowance);
      throw error;
    }
  }

  /** On public routes stale credentials are ignored rather than refused (a login with an old cookie). */
  private async authenticate(
    request: AuthenticatedRequest,
    permission: Permission,
  ): Promise<Authentication | undefined> {
    try {
      return await this.authenticator.authenticate(request);
    } catch (error) {
      if (permission === 'public' && error instanceof UserError) return undefined;
      throw error;
    }
  }

  /** A cookie-carried write must come from our own origin (or an allowed one): a second line behind SameSite. */
  private refuseForeignOrigin(request: AuthenticatedRequest): void {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (this.config.corsOrigins.includes(origin)) return;
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (!host || host !== request.headers.host)
      throw new UserError('FOREIGN_ORIGIN', 'a request with the session cookie came from another origin', 403);
  }
}

/** The allowance headers of the IETF RateLimit draft, so a client can pace itself. */
function setAllowance(response: HeaderSink, allowance: Allowance | undefined): void {
  if (!allowance) return;
  response.setHeader('RateLimit-Limit', String(allowance.limit));
  response.setHeader('RateLimit-Remaining', String(allowance.remaining));
  response.setHeader('RateLimit-Reset', String(allowance.resetSeconds));
}
