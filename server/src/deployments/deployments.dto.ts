import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export class DeploymentItemDto {
  @ApiProperty({ enum: ['flow', 'rule-set'] })
  @IsIn(['flow', 'rule-set'])
  kind: 'flow' | 'rule-set';

  @ApiProperty()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { message: 'id must be letters, digits, ".", "_" or "-"' })
  id: string;

  @ApiProperty()
  @IsString()
  @Length(1, 64)
  version: string;

  @ApiProperty({ description: 'SHA-256 hex of the canonical JSON' })
  @Matches(/^[a-f0-9]{64}$/, { message: 'checksum must be a SHA-256 hex digest' })
  checksum: string;

  @ApiProperty({ enum: ['deployed', 'unchanged', 'pending-approval'] })
  @IsIn(['deployed', 'unchanged', 'pending-approval'])
  result: 'deployed' | 'unchanged' | 'pending-approval';
}

export class RecordDeploymentDto {
  @ApiProperty({ type: [DeploymentItemDto] })
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => DeploymentItemDto)
  items: DeploymentItemDto[];

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^https?:\/\/\S{1,500}$/, { message: 'nodeRedUrl must be an http(s) URL' })
  nodeRedUrl?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  revisionBefore?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  revisionAfter?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class DeploymentsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
