import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { ROLES, type Role } from '@loopgate/contracts';

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const USERNAME_MESSAGE = 'username must be 1-64 lowercase letters, digits, ".", "_", "@" or "-"';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @Length(1, 64)
  username: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 256)
  password: string;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 256)
  currentPassword: string;

  @ApiProperty({ format: 'password', minLength: 12 })
  @IsString()
  @Length(12, 256)
  newPassword: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'jdoe' })
  @Matches(USERNAME, { message: USERNAME_MESSAGE })
  username: string;

  @ApiPropertyOptional({ example: 'Jane Doe' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  displayName?: string;

  /** Absent for a user who signs in only through OpenID Connect (and cannot sign electronically). */
  @ApiPropertyOptional({ format: 'password', minLength: 12 })
  @IsOptional()
  @IsString()
  @Length(12, 256)
  password?: string;

  @ApiProperty({ enum: ROLES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLES.length)
  @IsIn(ROLES, { each: true })
  roles: Role[];
}

export class UpdateUserDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 128)
  displayName?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ROLES.length)
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ format: 'password', minLength: 12 })
  @IsOptional()
  @IsString()
  @Length(12, 256)
  password?: string;
}

export class UsernameParam {
  @Matches(USERNAME, { message: USERNAME_MESSAGE })
  username: string;
}

export class CreateTokenDto {
  @ApiProperty({ example: 'node-red-line1' })
  @Matches(/^[a-z0-9][a-z0-9._-]{0,63}$/, { message: 'name must be 1-64 lowercase letters, digits, ".", "_" or "-"' })
  name: string;
}

export class TokenIdParam {
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, {
    message: 'id must be a token id (UUID)',
  })
  id: string;
}

export class OidcLoginQuery {
  /** Path on this server to return to after signing in. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  returnTo?: string;
}

/** What identity providers put on the redirect back; anything else is refused. */
export class OidcCallbackQuery {
  @IsOptional() @IsString() @MaxLength(4096) code?: string;
  @IsString() @MaxLength(256) state: string;
  @IsOptional() @IsString() @MaxLength(2048) iss?: string;
  @IsOptional() @IsString() @MaxLength(512) session_state?: string;
  @IsOptional() @IsString() @MaxLength(256) error?: string;
  @IsOptional() @IsString() @MaxLength(2048) error_description?: string;
  @IsOptional() @IsString() @MaxLength(2048) error_uri?: string;
  @IsOptional() @IsString() @MaxLength(2048) scope?: string;
  @IsOptional() @IsString() @MaxLength(64) authuser?: string;
  @IsOptional() @IsString() @MaxLength(64) prompt?: string;
  @IsOptional() @IsString() @MaxLength(256) hd?: string;
}
