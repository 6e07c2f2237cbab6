import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { placeholders } from '../../gateway/persistence/sql';
import { ServiceTokenEntity } from './service-token.entity';

/** The only place that reads and writes the `service_tokens` table. */
@Injectable()
export class ServiceTokensRepository {
  constructor(@InjectRepository(ServiceTokenEntity) private readonly tokens: Repository<ServiceTokenEntity>) {}

  async insert(token: ServiceTokenEntity): Promise<void> {
    await this.tokens.insert(token);
  }

  /**
   * Read on every request a service token authenticates: one indexed row by plain SQL (the driver
   * keeps the statement prepared), without the query builder, which cost more than the read.
   */
  async findByHash(tokenHash: string): Promise<ServiceTokenEntity | null> {
    const dialect = this.tokens.manager.connection.options.type === 'postgres' ? 'postgres' : 'sqlite';
    const rows = (await this.tokens.query(
      placeholders(dialect, 'SELECT * FROM "service_tokens" WHERE "token_hash" = ?'),
      [tokenHash],
    )) as Record<string, unknown>[];
    return rows.length > 0 ? tokenOfRow(rows[0]) : null;
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
