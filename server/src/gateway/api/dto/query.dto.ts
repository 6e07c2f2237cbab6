import { AUDIT_OUTCOMES, COMMAND_STATES, type AuditOutcome, type CommandState } from '@loopgate/contracts';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsZonedTimestamp } from '../../../common/zoned-timestamp';

export class WriteBackQueryDto {
  @ApiPropertyOptional({ enum: COMMAND_STATES })
  @IsOptional()
  @IsIn(COMMAND_STATES as unknown as string[])
  state?: CommandState;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 64) target?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) object?: string;
  @ApiPropertyOptional({ description: 'several states, comma-separated (e.g. rejected,failed,expired)' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsArray()
  @ArrayMaxSize(COMMAND_STATES.length)
  @IsIn(COMMAND_STATES as unknown as string[], { each: true })
  states?: CommandState[];
  @ApiPropertyOptional({ enum: ['ai', 'human'] }) @IsOptional() @IsIn(['ai', 'human']) initiator?: 'ai' | 'human';
  @ApiPropertyOptional({ description: "the lineage's modelId" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  model?: string;
  @ApiPropertyOptional({ description: "the lineage's ruleSetId" })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  ruleSet?: string;
  @ApiPropertyOptional({ description: 'received at or after (ISO 8601 with zone)' })
  @IsOptional()
  @IsZonedTimestamp()
  since?: string;
  @ApiPropertyOptional({ description: 'received before (ISO 8601 with zone)' })
  @IsOptional()
  @IsZonedTimestamp()
  until?: string;
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'also count every matching command' })
  @IsOptional()
  @IsIn(['true', 'false'])
  count?: 'true' | 'false';
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) inferenceId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) requestId?: string;
  @ApiPropertyOptional({ description: 'command id from nextBefore' })
  @IsOptional()
  @IsString()
  @Length(1, 36)
  before?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) from?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) to?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 64) target?: string;
  @ApiPropertyOptional({ description: 'ISA-95 object id' }) @IsOptional() @IsString() @Length(1, 200) object?: string;
  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES as unknown as string[])
  outcome?: AuditOutcome;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) inferenceId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 36) commandId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) actor?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) q?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
  @ApiPropertyOptional({ description: 'sequence from nextBefore' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;
}

export class AuditExportQueryDto extends AuditQueryDto {
  @ApiPropertyOptional({ enum: ['csv', 'ndjson'], default: 'csv' }) @IsOptional() @IsIn(['csv', 'ndjson']) format?:
    'csv' | 'ndjson';
}

export class OutcomeStreamQueryDto {
  @ApiPropertyOptional({ description: 'only this target instance' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  target?: string;

  @ApiPropertyOptional({
    description: 'only these message types, comma-separated (outcome, decision, control, target, ruleset)',
  })
  @IsOptional()
  @Matches(/^(outcome|decision|control|target|ruleset)(,(outcome|decision|control|target|ruleset))*$/, {
    message: 'types must be a comma-separated list of outcome, decision, control, target, ruleset',
  })
  types?: string;
}
