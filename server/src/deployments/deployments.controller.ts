import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../auth/permissions';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import type { DeploymentList, DeploymentRecord } from './deployment.types';
import { DeploymentsQuery, RecordDeploymentDto } from './deployments.dto';
import { DeploymentsService } from './deployments.service';

/** The record of CLI deployments: who deployed which flow and rule set versions, with which checksums. */
@ApiTags('deployments')
@Controller('deployments')
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Post()
  @RequirePermission('flows:deploy')
  record(@Body() body: RecordDeploymentDto, @CurrentPrincipal() actor: Principal): Promise<DeploymentRecord> {
    return this.deployments.record(body, actor);
  }

  @Get()
  @RequirePermission('audit:read')
  async list(@Query() query: DeploymentsQuery): Promise<DeploymentList> {
    return { deployments: await this.deployments.newest(query.limit) };
  }
}
