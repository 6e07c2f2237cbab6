import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_WRITER, type AuditWriter } from '../common/audit.port';
import type { Principal } from '../auth/principal';
import type { DeploymentEntity } from './deployment.entity';
import type { DeploymentItem, DeploymentRecord } from './deployment.types';
import { DeploymentsRepository } from './deployments.repository';

export function toDeploymentRecord(entity: DeploymentEntity): DeploymentRecord {
  return {
    id: entity.id,
    deployedBy: entity.deployedBy,
    deployedAt: entity.deployedAt,
    items: entity.items,
    ...(entity.nodeRedUrl ? { nodeRedUrl: entity.nodeRedUrl } : {}),
    ...(entity.revisionBefore ? { revisionBefore: entity.revisionBefore } : {}),
    ...(entity.revisionAfter ? { revisionAfter: entity.revisionAfter } : {}),
    ...(entity.comment ? { comment: entity.comment } : {}),
  };
}

/** Records who deployed which versions with which checksums; each deployed file is audited with its lineage. */
@Injectable()
export class DeploymentsService {
  constructor(
    private readonly deployments: DeploymentsRepository,
    @Inject(AUDIT_WRITER) private readonly audit: AuditWriter,
  ) {}

  async record(
    input: Omit<DeploymentRecord, 'id' | 'deployedBy' | 'deployedAt'>,
    actor: Principal,
  ): Promise<DeploymentRecord> {
    const entity: DeploymentEntity = {
      id: randomUUID(),
      deployedBy: actor.id,
      deployedAt: new Date().toISOString(),
      nodeRedUrl: input.nodeRedUrl ?? null,
      revisionBefore: input.revisionBefore ?? null,
      revisionAfter: input.revisionAfter ?? null,
      items: input.items,
      comment: input.comment ?? null,
    };
    await this.deployments.insert(entity);
    for (const item of input.items) await this.audit.append(auditEntryOf(entity, item));
    return toDeploymentRecord(entity);
  }

  async newest(limit = 50): Promise<DeploymentRecord[]> {
    return (await this.deployments.newest(limit)).map(toDeploymentRecord);
  }
}

function auditEntryOf(deployment: DeploymentEntity, item: DeploymentItem) {
  const lineage =
    item.kind === 'flow'
      ? { flowId: item.id, flowVersion: item.version }
      : { ruleSetId: item.id, ...(/^\d+$/.test(item.version) ? { ruleSetVersion: Number(item.version) } : {}) };
  return {
    outcome: 'security' as const,
    action: 'deploy',
    actor: deployment.deployedBy,
    lineage,
    message: `${item.kind} ${item.id} ${item.version} ${item.result} (sha256 ${item.checksum}) deployment ${deployment.id}${deployment.revisionAfter ? ` rev ${deployment.revisionAfter}` : ''}`,
  };
}
