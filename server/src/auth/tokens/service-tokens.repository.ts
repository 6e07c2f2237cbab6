import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type Repository } from 'typeorm';
import { ServiceTokenEntity } from './service-token.entity';

/** The only place that reads and writes the `service_tokens` table. */
@Injectable()
export class ServiceTokensRepository {
  constructor(@InjectRepository(ServiceTokenEntity) private readonly tokens: Repository<ServiceTokenEntity>) {}

  async insert(token: ServiceTokenEntity): Promise<void> {
    await this.tokens.insert(token);
  }

  findByHash(tokenHash: string): Promise<ServiceTokenEntity | null> {
    return this.tokens.findOneBy({ tokenHash });
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
