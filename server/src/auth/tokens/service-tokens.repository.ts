import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { HotReads } from '../../gateway/persistence/hot-reads';
import { ServiceTokenEntity } from './service-token.entity';

/** The only place that reads and writes the `service_tokens` table. */
@Injectable()
export class ServiceTokensRepository {
  private readonly hot: HotReads;

  constructor(@InjectRepository(ServiceTokenEntity) private readonly tokens: Repository<ServiceTokenEntity>) {
    this.hot = new HotReads(tokens.manager.connection);
  }

  async insert(token: ServiceTokenEntity): Promise<void> {
    await this.tokens.insert(token);
  }

  /** Read on every request a service token authenticates: one indexed row, as a hot read. */
  async findByHash(tokenHash: string): Promise<ServiceTokenEntity | null> {
    const [row] = await this.hot.rows('SELECT * FROM "service_tokens" WHERE "token_hash" = ?', [tokenHash]);
    return row ? tokenOfRow(row) : null;
  }

  findById(id: string): Promise<ServiceTokenEntity | null> {
    return this.tokens.findOneBy({ id });
  }

  list(): Promise<ServiceTokenEntity[]> {
    return this.tokens.find({ order: { createdAt: 'ASC' } });
  }

  /** True when this call revoked the token (it was active). */
  async revoke(id: string, revokedAt: string, revokedBy: string): Promise<boolean> {
    const result = await this.tokens.update({ id, revokedAt: IsNull() }, { revokedAt, revokedBy });
    return (result.affected ?? 0) > 0;
  }

  async touch(id: string, lastUsedAt: string): Promise<void> {
    await this.tokens.update({ id }, { lastUsedAt });
  }
}

function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function tokenOfRow(row: Record<string, unknown>): ServiceTokenEntity {
  return {
    id: String(row.id),
    name: String(row.name),
    tokenHash: String(row.token_hash),
    hint: String(row.hint),
    createdBy: String(row.created_by),
    createdAt: String(row.created_at),
    lastUsedAt: textOrNull(row.last_used_at),
    revokedAt: textOrNull(row.revoked_at),
    revokedBy: textOrNull(row.revoked_by),
  };
}
