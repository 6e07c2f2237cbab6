import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, type Repository } from 'typeorm';
import { SessionEntity } from './session.entity';

/** The only place that reads and writes the `sessions` table. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>) {}

  async insert(session: SessionEntity): Promise<void> {
    await this.sessions.insert(session);
  }

  findByTokenHash(tokenHash: string): Promise<SessionEntity | null> {
    return this.sessions.findOneBy({ tokenHash });
  }

  async revoke(id: string, revokedAt: string): Promise<void> {
    await this.sessions.update({ id, revokedAt: IsNull() }, { revokedAt });
  }

  async revokeAllOfUser(userId: string, revokedAt: string): Promise<void> {
    await this.sessions.update({ userId, revokedAt: IsNull() }, { revokedAt });
  }

  /** Removes sessions that expired before `before`; they can never be used again. */
  async deleteExpired(before: string): Promise<number> {
    const result = await this.sessions.delete({ expiresAt: LessThan(before) });
    return result.affected ?? 0;
  }
}
