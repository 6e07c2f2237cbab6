import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  CreateRuleSetVersionRequest,
  EvaluateBatchRequest,
  EvaluateRequest,
  ReplayRequest,
  RuleSetFile,
  RuleSetImportRequest,
  RuleSetValidateRequest,
  SignatureRequest,
} from '@loopgate/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

const ENVIRONMENTS = ['production', 'test'] as const;

/** A rule set file as JSON; its own rules are checked by `@loopgate/rules`, which reports paths inside the file. */
export class RuleSetContentDto implements RuleSetValidateRequest {
  @ApiProperty({
    description: 'A rule set file (schemaVersion, id, name, facts, rules)',
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  content: RuleSetFile;
}

export class CreateVersionDto implements Omit<CreateRuleSetVersionRequest, 'content'> {
  @ApiPropertyOptional({
    description: 'The rule set file; or set fromDraft',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  content?: RuleSetFile;

  @ApiPropertyOptional({ description: 'Submit the saved draft' })
  @IsOptional()
  @IsBoolean()
  fromDraft?: boolean;

  @ApiPropertyOptional({ enum: ENVIRONMENTS, default: 'production' })
  @IsOptional()
  @IsIn(ENVIRONMENTS)
  environment?: 'production' | 'test';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

/** Approve or reject: the password is entered again and the meaning stated (21 CFR Part 11). */
export class VersionSignatureDto implements SignatureRequest {
  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 1024)
  password: string;

  @ApiProperty({ enum: ['approved', 'rejected'] })
  @IsIn(['approved', 'rejected'])
  meaning: 'approved' | 'rejected';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class RollbackDto {
  @ApiPropertyOptional({
    enum: ENVIRONMENTS,
    description: 'Where to republish; the version’s own environment by default',
  })
  @IsOptional()
  @IsIn(ENVIRONMENTS)
  environment?: 'production' | 'test';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class EvaluateDto implements EvaluateRequest {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { spindleLoad: 91, toolWearScore: 0.72 } })
  @IsObject()
  facts: Record<string, unknown>;
}

export class EvaluateBatchDto implements EvaluateBatchRequest {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsObject({ each: true })
  facts: Record<string, unknown>[];
}

export class ReplayDto implements ReplayRequest {
  @ApiPropertyOptional({ description: 'A version to replay; or content; or neither for the saved draft' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  content?: RuleSetFile;

  @ApiPropertyOptional({ description: 'ISO 8601; 24 h before `to` by default' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; now by default' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

const DIFF_SIDE = /^([1-9]\d{0,8}|draft|live)$/;

export class DiffQueryDto {
  @ApiProperty({ description: 'A version number, `draft` or `live`', example: '3' })
  @Matches(DIFF_SIDE, { message: 'from is a version number, draft or live' })
  from: string;

  @ApiProperty({ description: 'A version number, `draft` or `live`', example: 'draft' })
  @Matches(DIFF_SIDE, { message: 'to is a version number, draft or live' })
  to: string;
}

export class EnvironmentQueryDto {
  @ApiPropertyOptional({
    enum: ENVIRONMENTS,
    default: 'production',
    description: 'For `latest`: which environment’s live version',
  })
  @IsOptional()
  @IsIn(ENVIRONMENTS)
  environment?: 'production' | 'test';
}

export class ImportFileDto {
  @ApiPropertyOptional({ example: 'tool-wear-feed-compensation.json' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.json$/, { message: 'name is a rule set file name: <id>.json' })
  name?: string;

  @ApiProperty({ description: 'The file text' })
  @IsString()
  @Length(1, 200_000)
  text: string;
}

export class ImportDto implements RuleSetImportRequest {
  @ApiProperty({ type: [ImportFileDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => ImportFileDto)
  files: ImportFileDto[];

  @ApiPropertyOptional({ enum: ['draft', 'version'], default: 'draft' })
  @IsOptional()
  @IsIn(['draft', 'version'])
  as?: 'draft' | 'version';

  @ApiPropertyOptional({ enum: ENVIRONMENTS, default: 'production' })
  @IsOptional()
  @IsIn(ENVIRONMENTS)
  environment?: 'production' | 'test';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class DecisionsQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { message: 'ruleSetId is a rule set id' })
  ruleSetId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
