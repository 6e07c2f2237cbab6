import { IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import type { Secret } from '../secret';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  ENV_VAR_NAME,
  HTTP_URL_OPTIONS,
  parseConfigClass,
  resolveSecret,
  TargetConnection,
} from '../target-config';

/** The `connection` block of a `factorytalk` target in the gateway's configuration. */
export class FactoryTalkConnection extends TargetConnection {
  /** Base URL of ProductionCentre's REST API host; paths `/api/workorders` and `/api/recipes` are below it. */
  @IsUrl(HTTP_URL_OPTIONS)
  baseUrl: string;

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

  /** How long a lock is asked for; the server may grant less (default 30 s). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3600)
  lockTtlSeconds?: number;
}

export interface FactoryTalkConfig {
  baseUrl: string;
  username: string;
  password: Secret;
  writesPerSecond: number;
  lockTtlSeconds: number;
  requestTimeoutMs: number;
}

/**
 * Validates a `factorytalk` connection block; the password comes from `password` or the environment
 * variable named by `passwordEnv`.
 *
 * @example
 * parseFactoryTalkConfig({ baseUrl: 'http://127.0.0.1:18202', username: 'loopgate', passwordEnv: 'FTPC_PASSWORD' });
 */
export function parseFactoryTalkConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): FactoryTalkConfig {
  const c = parseConfigClass(FactoryTalkConnection, raw, '$');
  return {
    baseUrl: c.baseUrl.replace(/\/+$/, ''),
    username: c.username,
    password: resolveSecret({ value: c.password, envName: c.passwordEnv }, '$.password', env),
    writesPerSecond: c.writesPerSecond ?? 25,
    lockTtlSeconds: c.lockTtlSeconds ?? 30,
    requestTimeoutMs: c.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}
