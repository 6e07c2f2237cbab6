import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DecisionRecordId, DecisionRecordList } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import { RequirePermission } from '../../auth/permissions';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { DecisionLog } from '../services/decisions.service';
import { DecisionRecordDto } from './decisions.dto';
import { DecisionsQueryDto } from './rule-sets.dto';

/** The decisions flows made, with the facts they saw: what what-if replay runs over. */
@ApiTags('rules')
@ApiBearerAuth()
@Controller('decisions')
export class DecisionsController {
  constructor(private readonly decisions: DecisionLog) {}

  @Post()
  @RequirePermission('writeback:submit')
  @ApiOperation({
    summary: 'Record the facts a rule evaluation saw and what it fired (the palette’s rule node posts these)',
  })
  record(
    @Body() body: DecisionRecordDto,
    @CurrentPrincipal() recorder: Principal | undefined,
  ): Promise<DecisionRecordId> {
    if (!recorder) throw new UserError('UNAUTHENTICATED', 'sign in or present a service token', 401);
    return this.decisions.record(body, recorder);
  }

  @Get()
  @RequirePermission('rules:read')
  async list(@Query() query: DecisionsQueryDto): Promise<DecisionRecordList> {
    return { decisions: await this.decisions.newest(query.limit ?? 50, query.ruleSetId) };
  }
}
