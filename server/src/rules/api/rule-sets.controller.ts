import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type {
  EvaluateBatchResponse,
  EvaluationResult,
  ReplayReport,
  RuleSetDraft,
  RuleSetImportResult,
  RuleSetSummary,
  RuleSetValidation,
  RuleSetVersion,
} from '@loopgate/contracts';
import type { RuleSetDiff } from '@loopgate/rules';
import { UserError } from '../../common/errors';
import { RequirePermission } from '../../auth/permissions';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { RuleEvaluation } from '../services/evaluation.service';
import { ruleSetIdParam, versionParam } from '../services/params';
import { RuleSetRegistry, type DiffSide } from '../services/registry.service';
import { WhatIfReplay } from '../services/replay.service';
import {
  CreateVersionDto,
  DiffQueryDto,
  EnvironmentQueryDto,
  EvaluateBatchDto,
  EvaluateDto,
  ImportDto,
  ReplayDto,
  RollbackDto,
  RuleSetContentDto,
  VersionSignatureDto,
} from './rule-sets.dto';

function signedIn(principal: Principal | undefined): Principal {
  if (!principal) throw new UserError('UNAUTHENTICATED', 'sign in or present a service token', 401);
  return principal;
}

const diffSide = (side: string): DiffSide => (side === 'draft' || side === 'live' ? side : versionParam(side));

/** The rule registry: rule sets, drafts, versions and their approval, evaluation and what-if replay. */
@ApiTags('rules')
@ApiBearerAuth()
@Controller('rulesets')
export class RuleSetsController {
  constructor(
    private readonly registry: RuleSetRegistry,
    private readonly evaluation: RuleEvaluation,
    private readonly replays: WhatIfReplay,
  ) {}

  @Get()
  @RequirePermission('rules:read')
  @ApiOperation({ summary: 'Rule sets with their newest, published and pending versions' })
  list(): Promise<RuleSetSummary[]> {
    return this.registry.list();
  }

  @Post('import')
  @RequirePermission('rules:edit')
  @ApiOperation({ summary: 'Import rule set files (as in rules/sets) as drafts or new versions' })
  import(@Body() body: ImportDto, @CurrentPrincipal() actor: Principal | undefined): Promise<RuleSetImportResult> {
    return this.registry.importFiles(body, signedIn(actor));
  }

  @Get(':id')
  @RequirePermission('rules:read')
  summary(@Param('id') id: string): Promise<RuleSetSummary> {
    return this.registry.summary(ruleSetIdParam(id));
  }

  @Get(':id/draft')
  @RequirePermission('rules:read')
  draft(@Param('id') id: string): Promise<RuleSetDraft> {
    return this.registry.draft(ruleSetIdParam(id));
  }

  @Put(':id/draft')
  @RequirePermission('rules:edit')
  @ApiOperation({ summary: 'Save the working copy (it may be invalid; its issues come back)' })
  saveDraft(
    @Param('id') id: string,
    @Body() body: RuleSetContentDto,
    @CurrentPrincipal() actor: Principal | undefined,
  ): Promise<RuleSetDraft> {
    return this.registry.saveDraft(
      ruleSetIdParam(id),
      body.content as unknown as Record<string, unknown>,
      signedIn(actor),
    );
  }

  @Delete(':id/draft')
  @HttpCode(204)
  @RequirePermission('rules:edit')
  async deleteDraft(@Param('id') id: string): Promise<void> {
    await this.registry.deleteDraft(ruleSetIdParam(id));
  }

  @Post(':id/validate')
  @HttpCode(200)
  @RequirePermission('rules:read')
  @ApiOperation({ summary: 'Issues of a rule set file, each with a stable code and a path inside the file' })
  validate(@Param('id') id: string, @Body() body: RuleSetContentDto): RuleSetValidation {
    return this.registry.validate(ruleSetIdParam(id), body.content);
  }

  @Get(':id/diff')
  @RequirePermission('rules:read')
  @ApiOperation({ summary: 'What changed between two versions, the draft or the live version' })
  diff(@Param('id') id: string, @Query() query: DiffQueryDto): Promise<RuleSetDiff> {
    return this.registry.diff(ruleSetIdParam(id), diffSide(query.from), diffSide(query.to));
  }

  @Post(':id/replay')
  @HttpCode(200)
  @RequirePermission('rules:read')
  @ApiOperation({
    summary:
      'What-if: write-backs a version or draft would have requested over recorded decisions, against the live ones',
  })
  replay(@Param('id') id: string, @Body() body: ReplayDto): Promise<ReplayReport> {
    return this.replays.replay(ruleSetIdParam(id), body);
  }

  @Get(':id/versions')
  @RequirePermission('rules:read')
  versions(@Param('id') id: string): Promise<RuleSetVersion[]> {
    return this.registry.listVersions(ruleSetIdParam(id));
  }

  @Post(':id/versions')
  @RequirePermission('rules:edit')
  @ApiOperation({ summary: 'A new immutable version; production versions wait for a second person' })
  createVersion(
    @Param('id') id: string,
    @Body() body: CreateVersionDto,
    @CurrentPrincipal() actor: Principal | undefined,
  ): Promise<RuleSetVersion> {
    return this.registry.createVersion(ruleSetIdParam(id), body, signedIn(actor));
  }

  @Get(':id/versions/:version')
  @RequirePermission('rules:read')
  @ApiOperation({ summary: 'A version, or `latest`: the newest published one' })
  version(
    @Param('id') id: string,
    @Param('version') version: string,
    @Query() query: EnvironmentQueryDto,
  ): Promise<RuleSetVersion> {
    return this.registry.version(ruleSetIdParam(id), versionParam(version, true), query.environment);
  }

  @Get(':id/versions/:version/file')
  @RequirePermission('rules:read')
  @ApiOperation({ summary: 'The version as a rules/sets file; sha256sum of it equals the checksum' })
  async file(
    @Param('id') id: string,
    @Param('version') version: string,
    @Query() query: EnvironmentQueryDto,
    @Res({ passthrough: true }) response: { setHeader(name: string, value: string): void },
  ): Promise<StreamableFile> {
    const file = await this.registry.file(ruleSetIdParam(id), versionParam(version, true), query.environment);
    response.setHeader('X-Loopgate-Checksum', file.checksum);
    response.setHeader('X-Loopgate-Version', String(file.version));
    return new StreamableFile(Buffer.from(file.text, 'utf8'), {
      type: 'application/json; charset=utf-8',
      disposition: `attachment; filename="${file.name}"`,
    });
  }

  @Post(':id/versions/:version/approve')
  @HttpCode(200)
  @RequirePermission('rules:approve')
  @ApiOperation({ summary: 'Approve and publish a pending version with an electronic signature (not its author)' })
  approve(
    @Param('id') id: string,
    @Param('version') version: string,
    @Body() body: VersionSignatureDto,
    @CurrentPrincipal() signer: Principal | undefined,
  ): Promise<RuleSetVersion> {
    return this.registry.approve(ruleSetIdParam(id), versionParam(version), body, signedIn(signer));
  }

  @Post(':id/versions/:version/reject')
  @HttpCode(200)
  @RequirePermission('rules:approve')
  reject(
    @Param('id') id: string,
    @Param('version') version: string,
    @Body() body: VersionSignatureDto,
    @CurrentPrincipal() signer: Principal | undefined,
  ): Promise<RuleSetVersion> {
    return this.registry.reject(ruleSetIdParam(id), versionParam(version), body, signedIn(signer));
  }

  @Post(':id/versions/:version/rollback')
  @RequirePermission('rules:edit')
  @ApiOperation({ summary: 'Republish an earlier version as the newest (approved like any new version)' })
  rollback(
    @Param('id') id: string,
    @Param('version') version: string,
    @Body() body: RollbackDto,
    @CurrentPrincipal() actor: Principal | undefined,
  ): Promise<RuleSetVersion> {
    return this.registry.rollback(ruleSetIdParam(id), versionParam(version), body, signedIn(actor));
  }

  @Post(':id/versions/:version/evaluate')
  @HttpCode(200)
  @RequirePermission('rules:read')
  @ApiOperation({ summary: 'Facts in, fired events and per-condition results out' })
  evaluate(
    @Param('id') id: string,
    @Param('version') version: string,
    @Body() body: EvaluateDto,
  ): Promise<EvaluationResult> {
    return this.evaluation.evaluate(ruleSetIdParam(id), versionParam(version, true), body.facts);
  }

  @Post(':id/versions/:version/evaluate/batch')
  @HttpCode(200)
  @RequirePermission('rules:read')
  evaluateBatch(
    @Param('id') id: string,
    @Param('version') version: string,
    @Body() body: EvaluateBatchDto,
  ): Promise<EvaluateBatchResponse> {
    return this.evaluation.evaluateBatch(ruleSetIdParam(id), versionParam(version, true), body.facts);
  }
}
