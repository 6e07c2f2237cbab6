import { IsNotEmpty, IsOptional, IsString, IsUrl, Matches } from 'class-validator';
import type { Secret } from '../secret';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  ENV_VAR_NAME,
  HTTP_URL_OPTIONS,
  parseConfigClass,
  resolveSecret,
  TargetConnection,
} from '../target-config';

/** The `connection` block of an `aveva` target in the gateway's configuration. */
export class AvevaConnection extends TargetConnection {
  /** Base URL of the System Platform / MES web API, e.g. `https://aveva-mes.plant.local`. */
  @IsUrl(HTTP_URL_OPTIONS)
  baseUrl: string;

  /** Base URL of the Historian REST API; default `baseUrl`. */
  @IsOptional()
  @IsUrl(HTTP_URL_OPTIONS)
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
  @Matches(ENV_VAR_NAME, { message: 'must be an environment variable name' })
  passwordEnv?: string;
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
    requestTimeoutMs: c.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}
