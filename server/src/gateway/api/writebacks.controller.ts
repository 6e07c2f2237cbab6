import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type {
  AiEpisode,
  ApprovalList,
  EpisodeRevertResult,
  WriteBackList,
  WriteBackOutcome,
} from '@loopgate/contracts';
import type { Response } from 'express';
import { RequirePermission } from '../../auth/permissions';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { WriteBackService } from '../services/writeback.service';
import { QuarantineReleaseDto, QuarantineResolveDto, RevertRequestDto, SignatureRequestDto } from './dto/control.dto';
import { WriteBackQueryDto } from './dto/query.dto';
import { WriteBackRequestDto } from './dto/writeback-request.dto';

@ApiTags('writebacks')
@ApiBearerAuth()
@Controller('writebacks')
export class WriteBacksController {
  constructor(private readonly writebacks: WriteBackService) {}

  @Post()
  // Documented as answered: 202 for a new command, 200 for a known requestId (set per request below).
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'A new command, in its first state' })
  @ApiOkResponse({ description: 'The command already accepted for this requestId' })
  @RequirePermission('writeback:submit')
  @ApiOperation({
    summary: 'Submit a write-back request: 202 with a new command, 200 with the existing one for a known requestId',
  })
  async submit(
    @Body() body: WriteBackRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<WriteBackOutcome> {
    const { created, outcome } = await this.writebacks.submit(body, principal);
    res.status(created ? 202 : 200);
    if (outcome.blockedUntil) {
      // RFC 9110 §10.2.3: whole seconds; the body's blockedUntil is exact.
      const seconds = Math.max(1, Math.ceil((Date.parse(outcome.blockedUntil) - Date.now()) / 1000));
      res.setHeader('Retry-After', String(seconds));
    }
    if (body.initiator !== undefined) {
      // RFC 9745 / RFC 7234: the field still parses, and the caller is told it does nothing.
      res.setHeader('Deprecation', 'true');
      res.setHeader(
        'Warning',
        '299 loopgate "INITIATOR_IGNORED: the initiator is who authenticated (service token: ai, person: human)"',
      );
    }
    return outcome;
  }

  @Get()
  @RequirePermission('read')
  @ApiOperation({ summary: 'Commands, newest first' })
  list(@Query() query: WriteBackQueryDto): Promise<WriteBackList> {
    return this.writebacks.list(query);
  }

  @Get(':commandId')
  @RequirePermission('read')
  get(@Param('commandId') commandId: string): Promise<WriteBackOutcome> {
    return this.writebacks.get(commandId);
  }

  @Post(':commandId/approve')
  @HttpCode(200)
  @RequirePermission('writeback:approve')
  @ApiOperation({ summary: 'Approve a pending command with an electronic signature (password entered again)' })
  approve(
    @Param('commandId') commandId: string,
    @Body() body: SignatureRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<WriteBackOutcome> {
    return this.writebacks.sign(commandId, body, 'approved', principal);
  }

  @Post(':commandId/reject')
  @HttpCode(200)
  @RequirePermission('writeback:approve')
  reject(
    @Param('commandId') commandId: string,
    @Body() body: SignatureRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<WriteBackOutcome> {
    return this.writebacks.sign(commandId, body, 'rejected', principal);
  }

  @Post(':commandId/revert')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'A new revert command' })
  @ApiOkResponse({ description: 'The revert already made of this command' })
  @RequirePermission('writeback:revert')
  @ApiOperation({ summary: 'Write the prior value back through the same ordered path (202 new revert, 200 existing)' })
  async revert(
    @Param('commandId') commandId: string,
    @Body() body: RevertRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<WriteBackOutcome> {
    const { created, outcome } = await this.writebacks.revert(commandId, body.reason, principal);
    res.status(created ? 202 : 200);
    return outcome;
  }

  @Get(':commandId/episode')
  @RequirePermission('read')
  @ApiOperation({
    summary:
      "The AI episode an applied AI write belongs to: its key's AI writes in a row since a person wrote, the value before it and now",
  })
  episode(@Param('commandId') commandId: string): Promise<AiEpisode> {
    return this.writebacks.episode(commandId);
  }

  @Post(':commandId/revert-episode')
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'A new revert of the episode' })
  @ApiOkResponse({ description: 'The revert already made of this episode' })
  @RequirePermission('writeback:revert')
  @ApiOperation({
    summary:
      'Revert the whole AI episode to the value before its first write, in one command (202 new revert, 200 existing; 409 EPISODE_ENDED once a person wrote the key)',
  })
  async revertEpisode(
    @Param('commandId') commandId: string,
    @Body() body: RevertRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<EpisodeRevertResult> {
    const { created, outcome, episode } = await this.writebacks.revertEpisode(commandId, body.reason, principal);
    res.status(created ? 202 : 200);
    return { revert: outcome, episode };
  }

  @Post(':commandId/release')
  @HttpCode(200)
  @RequirePermission('writeback:revert')
  @ApiOperation({
    summary:
      "Release a quarantined command: back in its key's queue, read and written again (409 when not quarantined)",
  })
  release(
    @Param('commandId') commandId: string,
    @Body() body: QuarantineReleaseDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<WriteBackOutcome> {
    return this.writebacks.release(commandId, body.reason, principal);
  }

  @Post(':commandId/resolve')
  @HttpCode(200)
  @RequirePermission('writeback:revert')
  @ApiOperation({
    summary: 'Resolve a quarantined command as applied or not applied, with a reason (409 when not quarantined)',
  })
  resolve(
    @Param('commandId') commandId: string,
    @Body() body: QuarantineResolveDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<WriteBackOutcome> {
    return this.writebacks.resolve(commandId, body.outcome, body.reason, principal);
  }
}

@ApiTags('writebacks')
@ApiBearerAuth()
@Controller('approvals')
export class ApprovalsController {
  constructor(private readonly writebacks: WriteBackService) {}

  @Get()
  @RequirePermission('read')
  @ApiOperation({ summary: 'Commands waiting for a signature, oldest first' })
  async list(): Promise<ApprovalList> {
    return { approvals: await this.writebacks.approvals() };
  }
}
