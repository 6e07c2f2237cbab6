import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SignatureRequest, SubmitFlowVersionRequest } from '@loopgate/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

export class SubmitFlowVersionDto implements SubmitFlowVersionRequest {
  @ApiProperty({
    description: 'The whole Node-RED flow configuration (array of nodes)',
    type: 'array',
    items: { type: 'object' },
  })
  @IsArray()
  @ArrayMaxSize(20_000)
  @IsObject({ each: true })
  flows: Record<string, unknown>[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class FlowVersionSignatureDto implements SignatureRequest {
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

export class FlowRollbackDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  comment?: string;
}

export class FlowVersionsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
