import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FlowVersion, FlowVersionDetail, FlowVersionList } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import { RequirePermission } from '../../auth/permissions';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { FlowVersionsService } from '../services/flow-versions.service';
import { FlowRollbackDto, FlowVersionSignatureDto, FlowVersionsQuery, SubmitFlowVersionDto } from './flow-versions.dto';

function signedIn(principal: Principal | undefined): Principal {
  if (!principal) throw new UserError('UNAUTHENTICATED', 'sign in first', 401);
  return principal;
}

function versionParam(raw: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(raw))
    throw new UserError('VALIDATION_FAILED', 'the version must be a positive integer', 400);
  return Number(raw);
}

/** Flow change control: flow versions, their approval by a second engineer, rollback. */
@ApiTags('flows')
@ApiBearerAuth()
@Controller('flow-versions')
export class FlowVersionsController {
  constructor(private readonly flows: FlowVersionsService) {}

  @Get()
  @RequirePermission('read')
  @ApiOperation({ summary: 'Flow versions, newest first, with their node-level diff and which one runs' })
  async list(@Query() query: FlowVersionsQuery): Promise<FlowVersionList> {
    return { changeControl: this.flows.changeControl, versions: await this.flows.list(query.limit) };
  }

  @Post()
  @RequirePermission('flows:deploy')
  @ApiOperation({
    summary: 'Submit flows (a deploy): pending until a second engineer signs, unless change control is off',
  })
  submit(@Body() body: SubmitFlowVersionDto, @CurrentPrincipal() actor: Principal | undefined): Promise<FlowVersion> {
    return this.flows.submit(body.flows, signedIn(actor), 'cli', body.comment);
  }

  @Get(':version')
  @RequirePermission('read')
  get(@Param('version') version: string): Promise<FlowVersionDetail> {
    return this.flows.get(versionParam(version));
  }

  @Post(':version/approve')
  @HttpCode(200)
  @RequirePermission('flows:deploy')
  @ApiOperation({ summary: 'Sign a pending flow version (meaning "approved"): it goes live; not by its author' })
  approve(
    @Param('version') version: string,
    @Body() body: FlowVersionSignatureDto,
    @CurrentPrincipal() signer: Principal | undefined,
  ): Promise<FlowVersion> {
    return this.flows.approve(versionParam(version), body, signedIn(signer));
  }

  @Post(':version/reject')
  @HttpCode(200)
  @RequirePermission('flows:deploy')
  reject(
    @Param('version') version: string,
    @Body() body: FlowVersionSignatureDto,
    @CurrentPrincipal() signer: Principal | undefined,
  ): Promise<FlowVersion> {
    return this.flows.reject(versionParam(version), body, signedIn(signer));
  }

  @Post(':version/rollback')
  @HttpCode(200)
  @RequirePermission('flows:deploy')
  @ApiOperation({ summary: 'Put an earlier published flow version live again, in one action' })
  rollback(
    @Param('version') version: string,
    @Body() body: FlowRollbackDto,
    @CurrentPrincipal() actor: Principal | undefined,
  ): Promise<FlowVersion> {
    return this.flows.rollback(versionParam(version), signedIn(actor), body.comment);
  }
}
