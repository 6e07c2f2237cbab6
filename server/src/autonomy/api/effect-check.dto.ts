import type { EffectCheckSpec } from '@loopgate/contracts';
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsString, Length, Max, Min } from 'class-validator';

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
}
