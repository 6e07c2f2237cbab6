import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import type {
  QuarantineReleaseRequest,
  QuarantineResolveRequest,
  RevertRequest,
  ShadowModeRequest,
  SignatureRequest,
  StopRequest,
} from '@loopgate/contracts';

/** Body of approve and reject: the password is entered again (21 CFR Part 11). */
export class SignatureRequestDto implements SignatureRequest {
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
  @MaxLength(2000)
  comment?: string;
}

export class RevertRequestDto implements RevertRequest {
  @ApiProperty({ example: 'operator saw chatter on OP20' })
  @IsString()
  @Length(1, 2000)
  reason: string;
}

export class QuarantineReleaseDto implements QuarantineReleaseRequest {
  @ApiProperty({ example: 'checked at the FactoryTalk console: the recipe still holds the old value' })
  @IsString()
  @Length(1, 2000)
  reason: string;
}

export class QuarantineResolveDto implements QuarantineResolveRequest {
  @ApiProperty({ enum: ['applied', 'not-applied'] })
  @IsIn(['applied', 'not-applied'])
  outcome: 'applied' | 'not-applied';

  @ApiProperty({ example: 'the recipe shows 1250, written by the gateway (checked with the shift lead)' })
  @IsString()
  @Length(1, 2000)
  reason: string;
}

export class StopRequestDto implements StopRequest {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class ShadowModeRequestDto implements ShadowModeRequest {
  @ApiProperty()
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({ description: 'Why; recorded in the audit trail' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  reason?: string;
}
