import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { NewServiceToken, ServiceTokenView } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import { hashToken, newOpaqueToken, SERVICE_TOKEN_PREFIX } from '../identity/secrets';
import type { Principal, TokenOwners } from '../principal';
import { SecurityAudit } from '../security-audit';
import type { ServiceTokenEntity } from './service-token.entity';
import { ServiceTokensRepository } from './service-tokens.repository';

export type { ServiceTokenView } from '@loopgate/contracts';

export function toServiceTokenView(token: ServiceTokenEntity): ServiceTokenView {
  return {
    id: token.id,
    name: token.name,
    hint: token.hint,
    createdBy: token.createdBy,
    createdAt: token.createdAt,
    ...(token.lastUsedAt ? { lastUsedAt: token.lastUsedAt } : {}),
    ...(token.revokedAt ? { revokedAt: token.revokedAt } : {}),
    ...(token.revokedBy ? { revokedBy: token.revokedBy } : {}),
  };
}

/** `lastUsedAt` is written at most this often per token, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

/** Service tokens for Node-RED runtimes: least privilege, revocable, stored hashed. */
@Injectable()
export class ServiceTokensService implements TokenOwners {
  private readonly touchedAt = new Map<string, number>();

  constructor(
    private readonly tokens: ServiceTokensRepository,
    private readonly audit: SecurityAudit,
  ) {}

  /**
   * Who created the service token a principal id (`token:<name>`) names: the person behind what it
   * submits. Undefined for other principals or an unknown name.
   */
  async ownerOf(principalId: string): Promise<string | undefined> {
    if (!principalId.startsWith('token:')) return undefined;
    const name = principalId.slice('token:'.length);
    return (await this.tokens.list()).find((t) => t.name === name)?.createdBy;
  }

  list(): Promise<ServiceTokenView[]> {
    return this.tokens.list().then((tokens) => tokens.map(toServiceTokenView));
  }

  /** Creates a token; the returned `token` is shown this once and never again. */
  async create(name: string, actor: Principal): Promise<NewServiceToken> {
    const token = newOpaqueToken(SERVICE_TOKEN_PREFIX);
    const entity = await this.register(name, token, actor.id);
    await this.audit.record({
      action: 'token-created',
      actor: actor.id,
      message: `service token ${name} (${entity.hint}) created`,
    });
    return { ...toServiceTokenView(entity), token };
  }

  async revoke(id: string, actor: Principal): Promise<ServiceTokenView> {
    const token = await this.tokens.findById(id);
    if (!token) throw new UserError('TOKEN_NOT_FOUND', `no service token ${id}`, 404);
    const revokedAt = new Date().toISOString();
    if (await this.tokens.revoke(id, revokedAt, actor.id)) {
      await this.audit.record({
        action: 'token-revoked',
        actor: actor.id,
        message: `service token ${token.name} (${token.hint}) revoked`,
      });
      return toServiceTokenView({ ...token, revokedAt, revokedBy: actor.id });
    }
    return toServiceTokenView(token);
  }

  /** The active token with this value; throws `UNAUTHENTICATED` (401) for an unknown or revoked one. */
  async resolve(token: string, now = Date.now()): Promise<ServiceTokenEntity> {
    const entity = await this.tokens.findByHash(hashToken(token));
    if (!entity || entity.revokedAt) throw new UserError('UNAUTHENTICATED', 'the token is not valid', 401);
    const touched = this.touchedAt.get(entity.id) ?? 0;
    if (now - touched >= TOUCH_INTERVAL_MS) {
      this.touchedAt.set(entity.id, now);
      await this.tokens.touch(entity.id, new Date(now).toISOString());
    }
    await this.audit.tokenUsed(entity.id, entity.name, now);
    return entity;
  }

  /**
   * `LOOPGATE_BOOTSTRAP_TOKEN`: registers the given value as service token `bootstrap` unless a
   * token with that value exists already (a revoked one stays revoked).
   */
  async ensureBootstrapToken(value: string | undefined): Promise<'created' | 'present' | 'none'> {
    if (!value) return 'none';
    if (await this.tokens.findByHash(hashToken(value))) return 'present';
    const entity = await this.register('bootstrap', value, 'system');
    await this.audit.record({
      action: 'token-created',
      actor: 'system',
      message: `service token bootstrap (${entity.hint}) registered from LOOPGATE_BOOTSTRAP_TOKEN`,
    });
    return 'created';
  }

  private async register(name: string, token: string, createdBy: string): Promise<ServiceTokenEntity> {
    const entity: ServiceTokenEntity = {
      id: randomUUID(),
      name,
      tokenHash: hashToken(token),
      hint: token.startsWith(SERVICE_TOKEN_PREFIX) ? token.slice(0, 8) : token.slice(0, 4),
      createdBy,
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    };
    await this.tokens.insert(entity);
    return entity;
  }
}
