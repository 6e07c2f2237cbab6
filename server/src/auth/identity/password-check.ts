import { Injectable } from '@nestjs/common';
import { UserError } from '../../common/errors';
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
 * signatures. Every failure is audited and slows the next attempt of that account from that
 * address (see LoginThrottle); nobody can lock another person out by typing wrong passwords.
 */
@Injectable()
export class PasswordCheck {
  constructor(
    private readonly users: UsersRepository,
    private readonly throttle: LoginThrottle,
    private readonly audit: SecurityAudit,
  ) {}

  /**
   * Returns the user when the password is right. Throws `INVALID_CREDENTIALS` (401) for a wrong
   * password, an unknown or disabled user; `LOGIN_DELAYED` (429, Retry-After) while this account
   * and address wait after repeated failures; `ACCOUNT_LOCKED` (423) for an account an earlier
   * version locked, until its time is over or an admin unlocks it.
   */
  async verify(username: string, password: string, channel: PasswordChannel, address?: string): Promise<UserEntity> {
    const where = address ? ` from ${address}` : '';
    await this.throttle.check(username, address);
    const user = await this.users.findByUsername(username);
    if (!user || user.disabled) {
      await verifyPassword(null, password);
      await this.failed(username, channel, `${channel}: unknown or disabled user${where}`, address);
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
      throw new UserError('ACCOUNT_LOCKED', `the account is locked until ${user.lockedUntil}`, 423);
    }
    if (await verifyPassword(user.passwordHash, password)) {
      await this.throttle.succeeded(username, address);
      if (user.failedLogins > 0 || user.lockedUntil)
        await this.users.update(user.id, { failedLogins: 0, lockedUntil: null, updatedAt: now.toISOString() });
      return user;
    }
    const failures = await this.users.incrementFailedLogins(user.id, now.toISOString());
    await this.failed(username, channel, `${channel}: wrong password (${failures} in a row)${where}`, address);
    throw invalidCredentials();
  }

  /** Audits a failure and counts it for this account and address; past the threshold, the delay is audited too. */
  private async failed(username: string, channel: PasswordChannel, message: string, address?: string): Promise<void> {
    await this.audit.record({ action: FAILED_ACTION[channel], actor: username, reasonCode: 'AUTH_FAILED', message });
    const { failures, delaySeconds } = await this.throttle.failed(username, address);
    if (delaySeconds !== undefined)
      await this.audit.record({
        action: 'login-delayed',
        actor: username,
        reasonCode: 'LOGIN_DELAYED',
        message: `${failures} failed password checks in a row${address ? ` from ${address}` : ''}: the next attempt from there waits ${delaySeconds} s`,
      });
  }
}

function invalidCredentials(): UserError {
  return new UserError('INVALID_CREDENTIALS', 'user name or password is wrong', 401);
}
