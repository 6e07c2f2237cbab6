import { IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import type { Secret } from '../secret';
import { parseConfigClass, resolveSecret } from '../target-config';

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** The `connection` block of an `aveva` target in the gateway's configuration. */
export class AvevaConnection {
  /** Base URL of the System Platform / MES web API, e.g. `https://aveva-mes.plant.local`. */
  @IsUrl(URL_OPTIONS)
  baseUrl: string;

  /** Base URL of the Historian REST API; default `baseUrl`. */
  @IsOptional()
  @IsUrl(URL_OPTIONS)
  historianUrl?: string;

  /** The service account Loopgate writes as; AVEVA records it with every write. */
  @IsString()
  @IsNotEmpty()
  username: string;

  /** The password itself; prefer `passwordEnv`. */
  @IsOptional()
  @IsString()
  password?: string;

  /** Name of the environment variable holding the password. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z_][A-Z0-9_]*$/, { message: 'must be an environment variable name' })
  passwordEnv?: string;

  /** Writes per second the adapter lets through. */
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

export interface AvevaConfig {
  baseUrl: string;
  historianUrl: string;
  username: string;
  password: Secret;
  writesPerSecond: number;
  requestTimeoutMs: number;
}

export const AVEVA_DEFAULT_WRITES_PER_SECOND = 10;

/**
 * Validates an `aveva` connection block; the password comes from `password` or the environment
 * variable named by `passwordEnv`.
 *
 * @example
 * parseAvevaConfig({ baseUrl: 'http://127.0.0.1:18260', username: 'svc-loopgate', passwordEnv: 'AVEVA_PASSWORD' });
 */
export function parseAvevaConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): AvevaConfig {
  const c = parseConfigClass(AvevaConnection, raw, '$');
  const baseUrl = c.baseUrl.replace(/\/+$/, '');
  return {
    baseUrl,
    historianUrl: (c.historianUrl ?? baseUrl).replace(/\/+$/, ''),
    username: c.username,
    password: resolveSecret({ value: c.password, envName: c.passwordEnv }, '$.password', env),
    writesPerSecond: c.writesPerSecond ?? AVEVA_DEFAULT_WRITES_PER_SECOND,
    requestTimeoutMs: c.requestTimeoutMs ?? 10_000,
  };
}
