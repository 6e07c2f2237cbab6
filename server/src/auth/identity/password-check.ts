import { Inject, Injectable } from '@nestjs/common';
import { UserError } from '../../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import { SecurityAudit } from '../security-audit';
import { LoginThrottle } from './login-throttle';
import { verifyPassword } from './secrets';
import type { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

/** Where a password was entered; each is audited under its own action. */
export type PasswordChannel = 'login' | 'signature' | 'node-red';

const FAILED_ACTION: Record<PasswordChannel, string> = {
  login: 'login-failed',
  signature: 'signature-failed',
  'node-red': 'login-failed',
};

/**
 * The one place a password is checked: console login, Node-RED editor login and electronic
 * signatures. Every failure counts towards the account's lockout and is audited.
 */
@Injectable()
export class PasswordCheck {
  constructor(
    private readonly users: UsersRepository,
    private readonly throttle: LoginThrottle,
    private readonly audit: SecurityAudit,
    @Inject(LOOPGATE_CONFIG) private readonly config: Pick<LoopgateConfig, 'lockoutThreshold' | 'lockoutMinutes'>,
  ) {}

  /**
   * Returns the user when the password is right. Throws `INVALID_CREDENTIALS` (401) for a wrong
   * password, an unknown or disabled user, and `ACCOUNT_LOCKED` (423) while locked out.
   */
  async verify(username: string, password: string, channel: PasswordChannel, address?: string): Promise<UserEntity> {
    const where = address ? ` from ${address}` : '';
    const user = await this.users.findByUsername(username);
    if (!user || user.disabled) {
      await verifyPassword(null, password);
      if (await this.throttle.unknownUserLocked(username)) throw this.locked();
      await this.throttle.unknownUserFailed(username);
      await this.audit.record({
        action: FAILED_ACTION[channel],
        actor: username,
        reasonCode: 'AUTH_FAILED',
        message: `${channel}: unknown or disabled user${where}`,
      });
      throw invalidCredentials();
    }
    const now = new Date();
    if (user.lockedUntil && user.lockedUntil > now.toISOString()) {
      await this.audit.record({
        action: FAILED_ACTION[channel],
        actor: username,
        reasonCode: 'ACCOUNT_LOCKED',
        message: `${channel}: account locked until ${user.lockedUntil}${where}`,
      });
      throw this.locked();
    }
    if (await verifyPassword(user.passwordHash, password)) {
      if (user.failedLogins > 0 || user.lockedUntil)
        await this.users.update(user.id, { failedLogins: 0, lockedUntil: null, updatedAt: now.toISOString() });
      return user;
    }
    const failures = await this.users.incrementFailedLogins(user.id, now.toISOString());
    await this.audit.record({
      action: FAILED_ACTION[channel],
      actor: username,
      reasonCode: 'AUTH_FAILED',
      message: `${channel}: wrong password (${failures} in a row)${where}`,
    });
    if (failures >= this.config.lockoutThreshold) {
      const lockedUntil = new Date(now.getTime() + this.config.lockoutMinutes * 60_000).toISOString();
      await this.users.update(user.id, { lockedUntil, failedLogins: 0, updatedAt: now.toISOString() });
      await this.audit.record({
        action: 'account-locked',
        actor: username,
        reasonCode: 'ACCOUNT_LOCKED',
        message: `locked until ${lockedUntil} after ${failures} failed password checks`,
      });
    }
    throw invalidCredentials();
  }

  private locked(): UserError {
    return new UserError(
      'ACCOUNT_LOCKED',
      `too many failed attempts: the account is locked for up to ${this.config.lockoutMinutes} minutes`,
      423,
    );
  }
}

function invalidCredentials(): UserError {
  return new UserError('INVALID_CREDENTIALS', 'user name or password is wrong', 401);
}
