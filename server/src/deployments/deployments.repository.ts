import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { DeploymentEntity } from './deployment.entity';

/** The only place that reads and writes the `deployments` table. */
@Injectable()
export class DeploymentsRepository {
  constructor(@InjectRepository(DeploymentEntity) private readonly deployments: Repository<DeploymentEntity>) {}

  async insert(deployment: DeploymentEntity): Promise<void> {
    await this.deployments.insert(deployment);
  }

  newest(limit: number): Promise<DeploymentEntity[]> {
    return this.deployments.find({ order: { deployedAt: 'DESC' }, take: limit });
  }
}
