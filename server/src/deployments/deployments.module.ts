import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeploymentEntity } from './deployment.entity';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsRepository } from './deployments.repository';
import { DeploymentsService } from './deployments.service';

@Module({
  imports: [TypeOrmModule.forFeature([DeploymentEntity])],
  controllers: [DeploymentsController],
  providers: [DeploymentsRepository, DeploymentsService],
})
export class DeploymentsModule {}
