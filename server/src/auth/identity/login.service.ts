import { Injectable } from '@nestjs/common';
import type { LoginResponse } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import type { Authentication } from '../authenticator';
import { SecurityAudit } from '../security-audit';
import { LoginThrottle } from './login-throttle';
import { PasswordCheck } from './password-check';
import { SessionsService } from './sessions.service';
import type { UserEntity } from './user.entity';
import { UsersService } from './users.service';

/** Signing in and out with a password; every outcome is audited. */
@Injectable()
export class LoginService {
  constructor(
    private readonly throttle: LoginThrottle,
    private readonly passwords: PasswordCheck,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly audit: SecurityAudit,
  ) {}

  /** Throws RATE_LIMITED (429), INVALID_CREDENTIALS (401) or ACCOUNT_LOCKED (423). */
  async login(username: string, password: string, address: string | undefined): Promise<LoginResponse> {
    await this.throttle.attempt(address);
    const user = await this.passwords.verify(username, password, 'login', address);
    return this.startSession(user, 'password', address);
  }

  async startSession(
    user: UserEntity,
    method: 'password' | 'oidc',
    address: string | undefined,
  ): Promise<LoginResponse> {
    const { token, expiresAt } = await this.sessions.create(user, method);
    await this.audit.record({
      action: 'login',
      actor: user.username,
      message: `signed in (${method})${address ? ` from ${address}` : ''}`,
    });
    return { token, expiresAt, user: { username: user.username, displayName: user.displayName, roles: user.roles } };
  }

  async logout(authentication: Authentication): Promise<void> {
    if (!authentication.sessionId) return;
    await this.sessions.revoke(authentication.sessionId);
    await this.audit.record({ action: 'logout', actor: authentication.principal.id, message: 'signed out' });
  }

  /** Checks the current password (counting failures towards lockout) before setting a new one. */
  async changePassword(authentication: Authentication, currentPassword: string, newPassword: string): Promise<void> {
    if (!authentication.user) throw new UserError('NOT_A_USER', 'only a signed-in person has a password', 400);
    const user = await this.passwords.verify(authentication.user.username, currentPassword, 'login');
    await this.users.changeOwnPassword(user, newPassword);
  }
}
