import type { EffectCheckSpec, InputSample } from '@loopgate/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsZonedTimestamp } from '../../common/zoned-timestamp';

/** One input of a decision in `lineage.inputs`: name, source time, OPC UA status or quality. */
export class InputSampleDto implements InputSample {
  @ApiProperty({ description: 'OPC UA node id, MQTT topic or fact name' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ description: 'ISO 8601 source timestamp' })
  @IsOptional()
  @IsZonedTimestamp()
  sourceTime?: string;

  @ApiPropertyOptional({ description: 'OPC UA StatusCode (uint32)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(0xffffffff)
  statusCode?: number;

  @ApiPropertyOptional({ enum: ['good', 'uncertain', 'bad'] })
  @IsOptional()
  @IsIn(['good', 'uncertain', 'bad'])
  quality?: 'good' | 'uncertain' | 'bad';
}

/** `effectCheck` of a write-back request: the KPI watched before and after the write. */
export class EffectCheckDto implements EffectCheckSpec {
  @ApiProperty({ description: 'KPI source: a fact the flow reports, an MQTT topic or an OPC UA node id' })
  @IsString()
  @Length(1, 200)
  kpi: string;

  @ApiProperty({ enum: ['increase', 'decrease'] })
  @IsIn(['increase', 'decrease'])
  expected: 'increase' | 'decrease';

  @ApiProperty({ description: 'Samples this long before and after the write are compared' })
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  windowSeconds: number;

  @ApiProperty({ description: 'A change of the mean within ± this is "no change"' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  tolerance: number;

  @ApiPropertyOptional({
    enum: ['means', 'trend'],
    description: "After-window against the before-window's mean (default) or its straight-line trend",
  })
  @IsOptional()
  @IsIn(['means', 'trend'])
  compare?: 'means' | 'trend';
}
