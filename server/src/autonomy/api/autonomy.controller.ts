import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermission } from '../../auth/permissions';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { UserError } from '../../common/errors';
import { AutonomyReports } from '../autonomy-reports.service';
import { AutonomyService, type PromotionEvidence, type StoredScope } from '../autonomy.service';
import type { InputClock } from '../domain/input-clocks';
import type { Scorecard } from '../domain/scorecard';
import {
  DecisionPeriodQueryDto,
  DemotionRequestDto,
  FeedbackRequestDto,
  KpiSampleDto,
  PromotionRequestDto,
  RecentDecisionsQueryDto,
  ScorecardQueryDto,
  TrainingExportQueryDto,
} from './autonomy.dto';
import { decisionView, levelChangeView, type AiDecisionView, type LevelChangeView } from './mappers';

const who = (principal: Principal | undefined): string => {
  if (!principal) throw new UserError('UNAUTHENTICATED', 'sign in or present a service token', 401);
  return principal.id;
};
const filterOf = (query: DecisionPeriodQueryDto) => ({
  ...(query.model ? { modelId: query.model } : {}),
  ...(query.scope ? { scopeId: query.scope } : {}),
  ...(query.from ? { from: new Date(query.from).toISOString() } : {}),
  ...(query.to ? { to: new Date(query.to).toISOString() } : {}),
});

@ApiTags('autonomy')
@ApiBearerAuth()
@Controller('autonomy')
export class AutonomyController {
  constructor(
    private readonly autonomy: AutonomyService,
    private readonly reports: AutonomyReports,
  ) {}

  @Get('scopes')
  @RequirePermission('read')
  @ApiOperation({ summary: 'Scopes (target × parameter × model) with their stored autonomy level' })
  async scopes(): Promise<StoredScope[]> {
    await this.autonomy.refreshScopes();
    return this.autonomy.listScopes();
  }

  @Get('inputs')
  @RequirePermission('read')
  @ApiOperation({
    summary:
      "Decision inputs' source clocks against the gateway's (skew in s, quality, past the allowed skew), the most skewed first; as this process received them",
  })
  inputs(): InputClock[] {
    return this.autonomy.inputClocks();
  }

  @Get('scopes/:scopeId/evidence')
  @RequirePermission('read')
  @ApiOperation({
    summary: 'The evidence for moving a scope up one level, the thresholds it misses, and its hash to sign',
  })
  evidence(@Param('scopeId') scopeId: string): Promise<PromotionEvidence> {
    return this.autonomy.promotionEvidence(scopeId);
  }

  @Get('scopes/:scopeId/changes')
  @RequirePermission('read')
  @ApiOperation({ summary: 'Level changes of a scope, newest first: configured, promoted (signed), demoted (figures)' })
  async changes(@Param('scopeId') scopeId: string): Promise<LevelChangeView[]> {
    return (await this.autonomy.levelChanges(scopeId)).map(levelChangeView);
  }

  @Get('changes')
  @RequirePermission('read')
  @ApiOperation({ summary: 'Level changes of every scope, newest first' })
  async allChanges(): Promise<LevelChangeView[]> {
    return (await this.autonomy.levelChanges()).map(levelChangeView);
  }

  @Post('scopes/:scopeId/promotion')
  @HttpCode(200)
  @RequirePermission('autonomy:promote')
  @ApiOperation({
    summary: 'Promote a scope one level: electronic signature on the evidence, thresholds from the site file',
  })
  promote(
    @Param('scopeId') scopeId: string,
    @Body() body: PromotionRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<StoredScope> {
    return this.autonomy.promote(scopeId, body, principal);
  }

  @Post('scopes/:scopeId/demotion')
  @HttpCode(200)
  @RequirePermission('target:control')
  @ApiOperation({ summary: 'Drop a scope one level by hand' })
  demote(
    @Param('scopeId') scopeId: string,
    @Body() body: DemotionRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<StoredScope> {
    return this.autonomy.demoteByHand(scopeId, body.reason, who(principal), body.fromLevel);
  }

  @Get('decisions')
  @RequirePermission('read')
  @ApiOperation({ summary: 'The newest AI decisions (of one scope): level, outcome, measured effect, feedback' })
  async decisions(@Query() query: RecentDecisionsQueryDto): Promise<AiDecisionView[]> {
    return (await this.autonomy.recentDecisions(query.scope, query.limit ?? 50)).map(decisionView);
  }

  @Get('decisions/:commandId')
  @RequirePermission('read')
  @ApiOperation({ summary: 'An AI decision: its level, outcome, measured effect and feedback' })
  async decision(@Param('commandId') commandId: string): Promise<AiDecisionView> {
    const row = await this.autonomy.decision(commandId);
    if (!row) throw new UserError('NOT_FOUND', `no AI decision ${commandId}`, 404);
    return decisionView(row);
  }

  @Post('decisions/:commandId/feedback')
  @HttpCode(200)
  @RequirePermission('autonomy:feedback')
  @ApiOperation({
    summary: 'Mark an AI outcome right or wrong (a shadow decision: agree or disagree), with a short note',
  })
  async feedback(
    @Param('commandId') commandId: string,
    @Body() body: FeedbackRequestDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<AiDecisionView> {
    return decisionView(await this.autonomy.feedback(commandId, body.verdict, body.note, who(principal)));
  }

  @Post('kpi-samples')
  @HttpCode(204)
  @RequirePermission('writeback:submit')
  @ApiOperation({ summary: 'Report one KPI sample (a fact the flow reports) for effect checks' })
  async sample(@Body() body: KpiSampleDto, @CurrentPrincipal() principal: Principal | undefined): Promise<void> {
    await this.autonomy.recordSample(body.kpi, body.value, body.at, who(principal));
  }

  @Get('scorecards')
  @RequirePermission('read')
  @ApiOperation({ summary: 'Scorecards per model and version, rule set and version, or scope, with a weekly trend' })
  scorecards(@Query() query: ScorecardQueryDto): Promise<Scorecard[]> {
    return this.reports.scorecards(query.by ?? 'model', filterOf(query));
  }

  @Get('training-data')
  @RequirePermission('audit:read')
  @ApiProduces('application/x-ndjson', 'application/vnd.apache.parquet')
  @ApiOperation({ summary: 'Decisions, facts seen, command, outcome, effect and feedback joined: NDJSON or Parquet' })
  async trainingData(@Query() query: TrainingExportQueryDto, @Res() res: Response): Promise<void> {
    const format = query.format ?? 'ndjson';
    const body = await this.reports.export(format, filterOf(query));
    res.status(200);
    res.setHeader(
      'Content-Type',
      format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'application/vnd.apache.parquet',
    );
    res.setHeader('Content-Disposition', `attachment; filename="training-data.${format}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.end(body);
  }
}
