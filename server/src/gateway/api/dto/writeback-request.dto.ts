import {
  ISA95_OBJECT_TYPES,
  TARGET_KINDS,
  WRITE_BACK_ACTIONS,
  type Isa95ObjectType,
  type ParameterValue,
  type TargetKind,
  type WriteBackAction,
  type WriteBackRequest,
} from '@loopgate/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateIf,
  ValidateNested,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { EffectCheckDto, InputSampleDto } from '../../../autonomy/api/effect-check.dto';
import { IsZonedTimestamp } from '../../../common/zoned-timestamp';

/** A parameter value: a finite number, a boolean, or a string of at most 1000 characters. */
@ValidatorConstraint({ name: 'isParameterValue' })
export class IsParameterValueConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value === 'number') return Number.isFinite(value);
    if (typeof value === 'string') return value.length <= 1000;
    return typeof value === 'boolean';
  }

  defaultMessage(): string {
    return '$property must be a finite number, a boolean or a string of at most 1000 characters';
  }
}

/** `details`: an object of at most 32 parameter values. */
@ValidatorConstraint({ name: 'isDetails' })
export class IsDetailsConstraint implements ValidatorConstraintInterface {
  private readonly value = new IsParameterValueConstraint();

  validate(details: unknown): boolean {
    if (!details || typeof details !== 'object' || Array.isArray(details)) return false;
    const entries = Object.entries(details as Record<string, unknown>);
    return (
      entries.length <= 32 && entries.every(([key, v]) => key.length > 0 && key.length <= 100 && this.value.validate(v))
    );
  }

  defaultMessage(): string {
    return '$property must map at most 32 names to finite numbers, booleans or strings';
  }
}

export class LineageDto {
  @IsOptional() @IsString() @Length(1, 200) flowId?: string;
  @IsOptional() @IsString() @Length(1, 100) flowVersion?: string;
  @IsOptional() @IsString() @Length(1, 200) nodeId?: string;
  @IsOptional() @IsString() @Length(1, 200) ruleSetId?: string;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) ruleSetVersion?: number;
  @IsOptional() @IsString() @Length(1, 200) ruleName?: string;
  @IsOptional() @IsString() @Length(1, 200) inferenceId?: string;
  @IsOptional() @IsString() @Length(1, 200) modelId?: string;
  @IsOptional() @IsString() @Length(1, 100) modelVersion?: string;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) score?: number;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => InputSampleDto)
  inputs?: InputSampleDto[];
}

export class TargetRefDto {
  @ApiProperty({ enum: TARGET_KINDS })
  @IsIn(TARGET_KINDS as unknown as string[])
  kind: TargetKind;

  @ApiProperty({ example: 'opcenter-line1' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'instance must be 1-64 letters, digits, ".", "_" or "-"' })
  instance: string;
}

export class EquipmentPathDto {
  @IsOptional() @IsString() @Length(1, 200) enterprise?: string;
  @IsOptional() @IsString() @Length(1, 200) site?: string;
  @IsOptional() @IsString() @Length(1, 200) area?: string;
  @IsOptional() @IsString() @Length(1, 200) workCenter?: string;
  @IsOptional() @IsString() @Length(1, 200) workUnit?: string;
  @IsOptional() @IsString() @Length(1, 200) equipmentClass?: string;
}

export class Isa95ObjectRefDto {
  @ApiProperty({ enum: ISA95_OBJECT_TYPES })
  @IsIn(ISA95_OBJECT_TYPES as unknown as string[])
  type: Isa95ObjectType;

  @ApiProperty({ example: 'CNC-01/OP20' })
  @IsString()
  @Length(1, 200)
  id: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => EquipmentPathDto)
  equipment?: EquipmentPathDto;
}

/** Body of `POST /writebacks`; see `WriteBackRequest` in the contracts. */
export class WriteBackRequestDto implements WriteBackRequest {
  @ApiProperty({ description: 'Idempotency key chosen by the caller', example: 'inf-42:feed' })
  @IsString()
  @Length(1, 200)
  requestId: string;

  @ApiProperty({ type: LineageDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => LineageDto)
  lineage: LineageDto;

  @ApiProperty({ type: TargetRefDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => TargetRefDto)
  target: TargetRefDto;

  @ApiProperty({ type: Isa95ObjectRefDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => Isa95ObjectRefDto)
  object: Isa95ObjectRefDto;

  @ApiProperty({ enum: WRITE_BACK_ACTIONS })
  @IsIn(WRITE_BACK_ACTIONS as unknown as string[])
  action: WriteBackAction;

  @ApiPropertyOptional({ description: 'Required for set-parameter' })
  @ValidateIf((o: WriteBackRequestDto) => o.action === 'set-parameter' || o.parameter !== undefined)
  @IsString()
  @Length(1, 200)
  parameter?: string;

  @ApiPropertyOptional({
    description: 'Required for set-parameter',
    oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'boolean' }],
  })
  @ValidateIf((o: WriteBackRequestDto) => o.action === 'set-parameter' || o.value !== undefined)
  @IsDefined()
  @Validate(IsParameterValueConstraint)
  value?: ParameterValue;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @Validate(IsDetailsConstraint)
  details?: Record<string, ParameterValue>;

  @ApiProperty()
  @IsString()
  @Length(1, 2000)
  reason: string;

  @ApiProperty({ description: 'ISO 8601; dropped as stale, never applied, after this' })
  @IsZonedTimestamp()
  notAfter: string;

  @ApiPropertyOptional({
    enum: ['ai', 'human'],
    deprecated: true,
    description: 'Ignored: the initiator is who authenticated (service token: ai; signed-in person: human)',
  })
  @IsOptional()
  @IsIn(['ai', 'human'])
  initiator?: 'ai' | 'human';

  @ApiPropertyOptional({ description: 'ISO 8601 time of the triggering event' })
  @IsOptional()
  @IsZonedTimestamp()
  eventTime?: string;

  @ApiPropertyOptional({ type: EffectCheckDto, description: 'The KPI that tells whether the write helped' })
  @IsOptional()
  @ValidateNested()
  @Type(() => EffectCheckDto)
  effectCheck?: EffectCheckDto;
}
