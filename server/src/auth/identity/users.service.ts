import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ROLES, type Role, type UserView } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import type { Principal } from '../principal';
import { SecurityAudit } from '../security-audit';
import { assertStrongPassword, passwordWeakness } from './password-policy';
import { hashPassword } from './secrets';
import { SessionsService } from './sessions.service';
import type { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

export type { UserView } from '@loopgate/contracts';

export interface NewUser {
  username: string;
  displayName?: string;
  password?: string;
  roles: Role[];
}

export interface UserChanges {
  displayName?: string;
  roles?: Role[];
  disabled?: boolean;
  password?: string;
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export function toUserView(user: UserEntity, now = new Date()): UserView {
  return {
    username: user.username,
    displayName: user.displayName,
    roles: user.roles,
    disabled: user.disabled,
    ...(user.lockedUntil && user.lockedUntil > now.toISOString() ? { lockedUntil: user.lockedUntil } : {}),
    sso: user.externalSubject !== null,
    hasPassword: user.passwordHash !== null,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

/** Sorted and without duplicates, so role changes compare and read the same way everywhere. */
export function normalizeRoles(roles: readonly Role[]): Role[] {
  return ROLES.filter((role) => roles.includes(role));
}

/** Local users and their roles; every change is audited with who made it. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger('Users');

  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly audit: SecurityAudit,
  ) {}

  async list(): Promise<UserView[]> {
    return (await this.users.list()).map((user) => toUserView(user));
  }

  async get(username: string): Promise<UserView> {
    return toUserView(await this.require(username));
  }

  /** `policy: false` only for the environment's bootstrap admin (see `ensureBootstrapAdmin`). */
  async create(input: NewUser, actor: Principal, { policy = true } = {}): Promise<UserView> {
    if (await this.users.findByUsername(input.username))
      throw new UserError('USER_EXISTS', `user ${input.username} exists already`, 409);
    if (input.password && policy) assertStrongPassword(input.password, [input.username, input.displayName ?? '']);
    const now = new Date().toISOString();
    const user: UserEntity = {
      id: randomUUID(),
      username: input.username,
      displayName: input.displayName ?? input.username,
      passwordHash: input.password ? await hashPassword(input.password) : null,
      roles: normalizeRoles(input.roles),
      disabled: false,
      failedLogins: 0,
      lockedUntil: null,
      externalSubject: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.users.insert(user);
    await this.audit.record({
      action: 'user-created',
      actor: actor.id,
      message: `user ${user.username} created with roles ${user.roles.join(', ')}`,
    });
    return toUserView(user);
  }

  async update(username: string, changes: UserChanges, actor: Principal, { policy = true } = {}): Promise<UserView> {
    const user = await this.require(username);
    const now = new Date().toISOString();
    const next: Partial<UserEntity> = { updatedAt: now };
    const events: { action: string; message: string }[] = [];
    if (changes.displayName !== undefined && changes.displayName !== user.displayName) {
      next.displayName = changes.displayName;
      events.push({ action: 'user-changed', message: `user ${username} display name changed` });
    }
    if (changes.roles) {
      const roles = normalizeRoles(changes.roles);
      if (roles.join() !== user.roles.join()) {
        next.roles = roles;
        events.push({
          action: 'roles-changed',
          message: `user ${username} roles ${user.roles.join(', ') || '(none)'} -> ${roles.join(', ')}`,
        });
      }
    }
    if (changes.disabled !== undefined && changes.disabled !== user.disabled) {
      next.disabled = changes.disabled;
      events.push({
        action: changes.disabled ? 'user-disabled' : 'user-enabled',
        message: `user ${username} ${changes.disabled ? 'disabled' : 'enabled'}`,
      });
    }
    if (changes.password !== undefined) {
      if (policy) assertStrongPassword(changes.password, [username, user.displayName]);
      next.passwordHash = await hashPassword(changes.password);
      next.failedLogins = 0;
      next.lockedUntil = null;
      events.push({ action: 'password-reset', message: `password of ${username} set by ${actor.id}` });
    }
    await this.refuseLosingLastAdmin(user, next);
    await this.users.update(user.id, next);
    // New roles, a new password or a disabled account take effect now, not when the session ends.
    if (next.roles || next.disabled || next.passwordHash) await this.sessions.revokeAllOfUser(user.id);
    for (const event of events) await this.audit.record({ ...event, actor: actor.id });
    return toUserView({ ...user, ...next });
  }

  async unlock(username: string, actor: Principal): Promise<UserView> {
    const user = await this.require(username);
    const next = { failedLogins: 0, lockedUntil: null, updatedAt: new Date().toISOString() };
    await this.users.update(user.id, next);
    await this.audit.record({ action: 'user-unlocked', actor: actor.id, message: `user ${username} unlocked` });
    return toUserView({ ...user, ...next });
  }

  /** A signed-in user changes their own password, entering the current one again. */
  async changeOwnPassword(user: UserEntity, newPassword: string): Promise<void> {
    assertStrongPassword(newPassword, [user.username, user.displayName]);
    await this.users.update(user.id, {
      passwordHash: await hashPassword(newPassword),
      failedLogins: 0,
      lockedUntil: null,
      updatedAt: new Date().toISOString(),
    });
    await this.sessions.revokeAllOfUser(user.id);
    await this.audit.record({
      action: 'password-changed',
      actor: user.username,
      message: `user ${user.username} changed their password`,
    });
  }

  /**
   * `LOOPGATE_ADMIN_PASSWORD`: when no enabled admin exists, creates user `admin` (or gives the
   * existing `admin` the role and this password) so a fresh installation can be signed into.
   */
  async ensureBootstrapAdmin(password: string | undefined): Promise<'created' | 'updated' | 'present' | 'missing'> {
    const all = await this.users.list();
    if (all.some((user) => user.roles.includes('admin') && !user.disabled)) return 'present';
    if (!password) {
      this.logger.warn('no admin user exists: set LOOPGATE_ADMIN_PASSWORD to create one at start');
      return 'missing';
    }
    const system: Principal = { kind: 'user', id: 'system', displayName: 'Loopgate', roles: [] };
    // The operator of the site chose it in the environment: a weak one is said loudly, not refused,
    // so a fresh installation can still be signed into and the password changed.
    const weakness = passwordWeakness(password, ['admin']);
    if (weakness) this.logger.error(`LOOPGATE_ADMIN_PASSWORD is weak: ${weakness}. Change it after signing in.`);
    const existing = all.find((user) => user.username === 'admin');
    if (existing) {
      await this.update(
        'admin',
        { roles: normalizeRoles([...existing.roles, 'admin']), disabled: false, password },
        system,
        { policy: false },
      );
      return 'updated';
    }
    await this.create({ username: 'admin', displayName: 'Administrator', password, roles: ['admin'] }, system, {
      policy: false,
    });
    return 'created';
  }

  /**
   * Finds or creates the user of an OpenID Connect identity; roles come from the IdP on every
   * sign-in, so a group removed at the IdP removes the role here.
   */
  async upsertFromIdentityProvider(identity: {
    externalSubject: string;
    username: string;
    displayName: string;
    roles: Role[];
  }): Promise<UserEntity> {
    const now = new Date().toISOString();
    const roles = normalizeRoles(identity.roles);
    const linked = await this.users.findByExternalSubject(identity.externalSubject);
    const system: Principal = { kind: 'user', id: 'oidc', displayName: 'OpenID Connect', roles: [] };
    if (linked) {
      if (linked.disabled) throw new UserError('ACCOUNT_DISABLED', 'this account is disabled', 403);
      if (roles.join() !== linked.roles.join() || identity.displayName !== linked.displayName) {
        await this.update(linked.username, { roles, displayName: identity.displayName }, system);
      }
      return { ...linked, roles, displayName: identity.displayName, updatedAt: now };
    }
    const byName = await this.users.findByUsername(identity.username);
    if (byName) {
      // A local account of the same name is not taken over silently: an admin links them.
      throw new UserError(
        'USERNAME_TAKEN',
        `a local user ${identity.username} exists; an administrator must link it`,
        409,
      );
    }
    const user: UserEntity = {
      id: randomUUID(),
      username: identity.username,
      displayName: identity.displayName,
      passwordHash: null,
      roles,
      disabled: false,
      failedLogins: 0,
      lockedUntil: null,
      externalSubject: identity.externalSubject,
      createdAt: now,
      updatedAt: now,
    };
    await this.users.insert(user);
    await this.audit.record({
      action: 'user-created',
      actor: system.id,
      message: `user ${user.username} created at first sign-in with roles ${roles.join(', ')}`,
    });
    return user;
  }

  async findActive(username: string): Promise<UserEntity | null> {
    const user = await this.users.findByUsername(username);
    return user && !user.disabled ? user : null;
  }

  private async require(username: string): Promise<UserEntity> {
    const user = await this.users.findByUsername(username);
    if (!user) throw new UserError('USER_NOT_FOUND', `no user ${username}`, 404);
    return user;
  }

  private async refuseLosingLastAdmin(user: UserEntity, next: Partial<UserEntity>): Promise<void> {
    const wasAdmin = user.roles.includes('admin') && !user.disabled;
    const staysAdmin = (next.roles ?? user.roles).includes('admin') && !(next.disabled ?? user.disabled);
    if (!wasAdmin || staysAdmin) return;
    const others = (await this.users.list()).filter(
      (u) => u.id !== user.id && u.roles.includes('admin') && !u.disabled,
    );
    if (others.length === 0)
      throw new UserError('LAST_ADMIN', 'this is the last enabled admin: give another user the admin role first', 409);
  }
}
