import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsNumber, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { AUTONOMY_LEVELS, type AutonomyLevel } from '../domain/levels';
import { SCORECARD_GROUPS, type ScorecardGroup } from '../domain/scorecard';
import { IsZonedTimestamp } from '../../common/zoned-timestamp';

/** Body of `POST /autonomy/scopes/:scopeId/promotion`: the signer's password and the evidence they reviewed. */
export class PromotionRequestDto {
  @ApiProperty({ enum: AUTONOMY_LEVELS })
  @IsIn(AUTONOMY_LEVELS as unknown as string[])
  toLevel: AutonomyLevel;

  @ApiProperty({ description: 'evidenceHash from GET .../evidence: the evidence the signer reviewed' })
  @Matches(/^[a-f0-9]{64}$/, { message: 'evidenceHash must be a SHA-256 hex digest' })
  evidenceHash: string;

  @ApiPropertyOptional({
    description:
      "`until` from GET .../evidence: the evidence's cut-off the signer reviewed (at most 15 minutes old); decisions after it do not change it. Absent: the evidence up to now.",
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  @IsZonedTimestamp()
  evidenceUntil?: string;

  @ApiProperty({ description: 'The signer enters their password again (electronic signature)' })
  @IsString()
  @Length(1, 1000)
  password: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  comment?: string;
}

/** Body of `POST /autonomy/scopes/:scopeId/demotion`. */
export class DemotionRequestDto {
  @ApiProperty()
  @IsString()
  @Length(1, 2000)
  reason: string;

  /** The level the person saw; another level stored meanwhile answers 409 `LEVEL_CHANGED` and changes nothing. */
  @ApiPropertyOptional({ enum: AUTONOMY_LEVELS })
  @IsOptional()
  @IsIn(AUTONOMY_LEVELS as unknown as string[])
  fromLevel?: AutonomyLevel;
}

/** Body of `POST /autonomy/decisions/:commandId/feedback`. */
export class FeedbackRequestDto {
  @ApiProperty({ enum: ['right', 'wrong'], description: 'On a shadow decision: agree (right) or disagree (wrong)' })
  @IsIn(['right', 'wrong'])
  verdict: 'right' | 'wrong';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 500)
  note?: string;
}

/** Body of `POST /autonomy/kpi-samples`: one KPI sample a flow reports. */
export class KpiSampleDto {
  @ApiProperty({ description: 'The KPI source named by effect checks (fact, MQTT topic, OPC UA node id)' })
  @IsString()
  @Length(1, 200)
  kpi: string;

  @ApiProperty()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  value: number;

  @ApiPropertyOptional({ description: 'ISO 8601 source time; the gateway clock when absent' })
  @IsOptional()
  @IsZonedTimestamp()
  at?: string;
}

/** Query of the newest decisions. */
export class RecentDecisionsQueryDto {
  @IsOptional() @IsString() @Length(1, 620) scope?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** Query of scorecards and the training-data export. */
export class DecisionPeriodQueryDto {
  @IsOptional() @IsString() @Length(1, 200) model?: string;
  @IsOptional() @IsString() @Length(1, 620) scope?: string;
  @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @IsOptional() @IsISO8601({ strict: true }) to?: string;
}

export class ScorecardQueryDto extends DecisionPeriodQueryDto {
  @ApiPropertyOptional({ enum: SCORECARD_GROUPS })
  @IsOptional()
  @IsIn(SCORECARD_GROUPS as unknown as string[])
  by?: ScorecardGroup;
}

export class TrainingExportQueryDto extends DecisionPeriodQueryDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'parquet'] })
  @IsOptional()
  @IsIn(['ndjson', 'parquet'])
  format?: 'ndjson' | 'parquet';
}
