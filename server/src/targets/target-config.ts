import type { ValidationIssue } from '@loopgate/contracts';
import { plainToInstance } from 'class-transformer';
import {
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { UserError } from '../common/errors';
import { Secret } from './secret';

/** `@IsUrl` options for a target's HTTP(S) base URL: host names without a TLD (`mes01`) are fine. */
export const HTTP_URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** An environment variable name, as `*Env` credential fields take. */
export const ENV_VAR_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** Request timeout when a connection block sets none. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Fields every target's `connection` block has; each kind's class extends it (class-validator
 * applies the inherited decorators, and `forbidNonWhitelisted` knows the inherited fields).
 */
export class TargetConnection {
  /** Writes per second the adapter lets through; each kind has its own default. */
  @IsOptional()
  @IsNumber()
  @Min(0.1)
  @Max(1000)
  writesPerSecond?: number;

  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(300_000)
  requestTimeoutMs?: number;
}

/** The connection fields of a target that signs in with OAuth client credentials (Opcenter, SAP DM). */
export class ClientCredentialsConnection extends TargetConnection {
  @IsString()
  @IsNotEmpty()
  clientId: string;

  /** The client secret itself; prefer `clientSecretEnv`. */
  @IsOptional()
  @IsString()
  clientSecret?: string;

  /** Name of the environment variable holding the client secret. */
  @IsOptional()
  @IsString()
  @Matches(ENV_VAR_NAME, { message: 'must be an environment variable name' })
  clientSecretEnv?: string;
}

/** A target's configuration is wrong; `issues` name each bad field by path, never its value. */
export class TargetConfigError extends UserError {
  constructor(issues: ValidationIssue[]) {
    super(
      'INVALID_TARGET_CONFIG',
      `invalid target configuration: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      400,
      issues,
    );
    this.name = 'TargetConfigError';
  }
}

function issueCode(constraint: string, value: unknown): string {
  if (constraint === 'whitelistValidation') return 'UNKNOWN_FIELD';
  if (value === undefined || value === null) return 'REQUIRED';
  return 'INVALID';
}

function toIssues(errors: ValidationError[], path: string): ValidationIssue[] {
  return errors.flatMap((error) => {
    const here = `${path}.${error.property}`;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      code: issueCode(constraint, error.value),
      path: here,
      // class-validator starts messages with the property name; the path already says it.
      message: message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message,
    }));
    return [...own, ...toIssues(error.children ?? [], here)];
  });
}

/**
 * Validates raw configuration against a class-validator class; unknown fields are refused so a
 * misspelt option does not pass silently.
 *
 * @example
 * const config = parseConfigClass(OpcenterConnection, raw, '$.connection');
 * // throws TargetConfigError with issues [{ code: 'REQUIRED', path: '$.connection.baseUrl', ... }]
 */
export function parseConfigClass<T extends object>(cls: new () => T, raw: unknown, path = '$'): T {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TargetConfigError([{ code: 'INVALID', path, message: 'must be an object' }]);
  }
  const instance = plainToInstance(cls, raw);
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new TargetConfigError(toIssues(errors, path));
  return instance;
}

/**
 * A credential from configuration (`value`) or, preferably, from an environment variable (`envName`).
 * Errors name the field or variable, never the value.
 */
export function resolveSecret(
  field: { value?: string; envName?: string },
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Secret {
  if (field.value !== undefined && field.value.length > 0) return new Secret(field.value);
  if (field.envName !== undefined) {
    const fromEnv = env[field.envName];
    if (fromEnv !== undefined && fromEnv.length > 0) return new Secret(fromEnv);
    throw new TargetConfigError([
      { code: 'REQUIRED', path, message: `environment variable ${field.envName} is not set` },
    ]);
  }
  throw new TargetConfigError([{ code: 'REQUIRED', path, message: 'needs a value or an environment variable name' }]);
}
