import { Injectable } from '@nestjs/common';
import { UserError } from '../common/errors';
import { SESSION_TOKEN_PREFIX } from './identity/secrets';
import { SessionsService } from './identity/sessions.service';
import type { UserEntity } from './identity/user.entity';
import type { CredentialCheck, Principal } from './principal';
import { readCookie, SESSION_COOKIE } from './http/session-cookie';
import { ServiceTokensService } from './tokens/service-tokens.service';

/** Who a request is from and how it proved it. */
export interface Authentication {
  principal: Principal;
  via: 'bearer' | 'cookie';
  /** The session, when a person is signed in. */
  sessionId?: string;
  user?: UserEntity;
}

/** What the authenticator needs of a request. */
export interface CredentialCarrier {
  headers: { authorization?: string; cookie?: string };
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/=-]{16,512})$/;

export function userPrincipal(user: Pick<UserEntity, 'username' | 'displayName' | 'roles'>): Principal {
  return { kind: 'user', id: user.username, displayName: user.displayName, roles: user.roles };
}

/**
 * Turns a request's credentials into a principal: `Authorization: Bearer <token>` (a session
 * token `lgu_…` or a service token) or the `loopgate_session` cookie.
 */
@Injectable()
export class Authenticator implements CredentialCheck {
  constructor(
    private readonly sessions: SessionsService,
    private readonly serviceTokens: ServiceTokensService,
  ) {}

  /** Undefined without credentials; throws `UNAUTHENTICATED`/`SESSION_EXPIRED` (401) for bad ones. */
  async authenticate(request: CredentialCarrier): Promise<Authentication | undefined> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = BEARER.exec(header);
      if (!match) throw new UserError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"', 401);
      return this.fromToken(match[1], 'bearer');
    }
    const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (cookie) return this.fromToken(cookie, 'cookie');
    return undefined;
  }

  /** CredentialCheck: whether the request's credential still authenticates (not revoked, expired or disabled). */
  async stillValid(request: CredentialCarrier): Promise<boolean> {
    try {
      return (await this.authenticate(request)) !== undefined;
    } catch (error) {
      if (error instanceof UserError) return false;
      throw error;
    }
  }

  async fromToken(token: string, via: Authentication['via']): Promise<Authentication> {
    if (token.startsWith(SESSION_TOKEN_PREFIX)) {
      const { session, user } = await this.sessions.resolve(token);
      return { principal: userPrincipal(user), via, sessionId: session.id, user };
    }
    // Service tokens are for machines; a browser cookie never carries one.
    if (via === 'cookie') throw new UserError('UNAUTHENTICATED', 'the session is not valid: sign in again', 401);
    const entity = await this.serviceTokens.resolve(token);
    return { principal: { kind: 'service', id: `token:${entity.name}`, displayName: entity.name, roles: [] }, via };
  }
}
