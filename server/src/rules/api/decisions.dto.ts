import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { DecisionRecord, RuleEvent } from '@loopgate/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Min,
  ValidateNested,
} from 'class-validator';

export class FiredEventDto implements RuleEvent {
  @ApiProperty({ example: 'writeback' })
  @IsString()
  @Length(1, 200)
  type: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;
}

/** What the palette's rule node posts after each evaluation: the facts and what fired. */
export class DecisionRecordDto implements DecisionRecord {
  @ApiProperty({ example: 'tool-wear-feed-compensation' })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { message: 'ruleSetId is a rule set id' })
  ruleSetId: string;

  @ApiProperty({ minimum: 1 })
  @IsInt()
  @Min(1)
  ruleSetVersion: number;

  @ApiProperty({ description: 'When the flow evaluated, ISO 8601' })
  @IsISO8601({ strict: true })
  time: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsObject()
  facts: Record<string, unknown>;

  @ApiProperty({ type: [FiredEventDto] })
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => FiredEventDto)
  firedEvents: FiredEventDto[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  flowId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  nodeId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  inferenceId?: string;
}
