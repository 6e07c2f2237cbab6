import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { UserError } from '../../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import { hashToken, newOpaqueToken, SESSION_TOKEN_PREFIX } from './secrets';
import type { SessionEntity } from './session.entity';
import { SessionsRepository } from './sessions.repository';
import type { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

const PURGE_INTERVAL_MS = 10 * 60 * 1000;

export interface NewSession {
  token: string;
  expiresAt: string;
  session: SessionEntity;
}

/** Opaque, expiring sessions. The token is returned once; only its hash is stored. */
@Injectable()
export class SessionsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Sessions');
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly users: UsersRepository,
    @Inject(LOOPGATE_CONFIG) private readonly config: Pick<LoopgateConfig, 'sessionTtlMinutes'>,
  ) {}

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => {
      this.sessions
        .deleteExpired(new Date().toISOString())
        .catch((error: unknown) => this.logger.warn(`purging expired sessions failed: ${(error as Error).message}`));
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  async create(user: UserEntity, method: 'password' | 'oidc', now = new Date()): Promise<NewSession> {
    const token = newOpaqueToken(SESSION_TOKEN_PREFIX);
    const expiresAt = new Date(now.getTime() + this.config.sessionTtlMinutes * 60_000).toISOString();
    const session: SessionEntity = {
      id: randomUUID(),
      tokenHash: hashToken(token),
      userId: user.id,
      method,
      createdAt: now.toISOString(),
      expiresAt,
      revokedAt: null,
    };
    await this.sessions.insert(session);
    return { token, expiresAt, session };
  }

  /** The session and its user; throws `UNAUTHENTICATED` or `SESSION_EXPIRED` (401). */
  async resolve(token: string, now = new Date()): Promise<{ session: SessionEntity; user: UserEntity }> {
    const session = await this.sessions.findByTokenHash(hashToken(token));
    if (!session || session.revokedAt)
      throw new UserError('UNAUTHENTICATED', 'the session is not valid: sign in again', 401);
    if (session.expiresAt <= now.toISOString())
      throw new UserError('SESSION_EXPIRED', 'the session expired: sign in again', 401);
    const user = await this.users.findById(session.userId);
    if (!user || user.disabled) throw new UserError('UNAUTHENTICATED', 'the session is not valid: sign in again', 401);
    return { session, user };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.sessions.revoke(sessionId, new Date().toISOString());
  }

  /** Ends every session of a user, e.g. when their roles or password change or they are disabled. */
  async revokeAllOfUser(userId: string): Promise<void> {
    await this.sessions.revokeAllOfUser(userId, new Date().toISOString());
  }
}
