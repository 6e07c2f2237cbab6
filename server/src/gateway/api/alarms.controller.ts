import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { AlarmAcknowledgeRequest, AlarmList, AlarmShelveRequest, RefusalAlarm } from '@loopgate/contracts';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { RequirePermission } from '../../auth/permissions';
import { CurrentPrincipal, type Principal } from '../../auth/principal';
import { AlarmsService, MAX_SHELVE_MINUTES } from '../services/alarms.service';

export class AlarmQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'List shelved alarms too' })
  @IsOptional()
  @IsIn(['true', 'false'])
  shelved?: 'true' | 'false';
}

export class AlarmAcknowledgeDto implements AlarmAcknowledgeRequest {
  @ApiProperty({ example: 'spindle load sensor being replaced; engineering informed' })
  @IsString()
  @Length(1, 2000)
  reason: string;
}

export class AlarmShelveDto implements AlarmShelveRequest {
  @ApiProperty()
  @IsString()
  @Length(1, 2000)
  reason: string;

  @ApiProperty({ minimum: 1, maximum: MAX_SHELVE_MINUTES })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SHELVE_MINUTES)
  minutes: number;
}

@ApiTags('alarms')
@ApiBearerAuth()
@Controller('alarms')
export class AlarmsController {
  constructor(private readonly alarms: AlarmsService) {}

  @Get()
  @RequirePermission('read')
  @ApiOperation({
    summary: 'Open refusal alarms: one per key and reason code since the key last took a write, with count and times',
  })
  list(@Query() query: AlarmQueryDto): Promise<AlarmList> {
    return this.alarms.list(query.shelved === 'true');
  }

  @Post(':alarmId/acknowledge')
  @HttpCode(200)
  @RequirePermission('target:control')
  @ApiOperation({ summary: 'Acknowledge an open alarm with a reason (audited); it keeps counting until it clears' })
  acknowledge(
    @Param('alarmId') alarmId: string,
    @Body() body: AlarmAcknowledgeDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<RefusalAlarm> {
    return this.alarms.acknowledge(alarmId, body.reason, principal);
  }

  @Post(':alarmId/shelve')
  @HttpCode(200)
  @RequirePermission('target:control')
  @ApiOperation({ summary: 'Shelve an open alarm for up to a shift, with a reason (audited)' })
  shelve(
    @Param('alarmId') alarmId: string,
    @Body() body: AlarmShelveDto,
    @CurrentPrincipal() principal: Principal | undefined,
  ): Promise<RefusalAlarm> {
    return this.alarms.shelve(alarmId, body.reason, body.minutes, principal);
  }
}
