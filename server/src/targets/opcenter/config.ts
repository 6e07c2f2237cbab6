import { IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import type { Secret } from '../secret';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  HTTP_URL_OPTIONS,
  parseConfigClass,
  resolveSecret,
  ClientCredentialsConnection,
} from '../target-config';

/** The `connection` block of an `opcenter` target in the gateway's configuration. */
export class OpcenterConnection extends ClientCredentialsConnection {
  /** Base URL of the Opcenter MOM server, e.g. `https://opcenter.plant.local`. */
  @IsUrl(HTTP_URL_OPTIONS)
  baseUrl: string;

  /** OAuth client-credentials token endpoint; default `{baseUrl}/sit-auth/OAuth/Token`. */
  @IsOptional()
  @IsUrl(HTTP_URL_OPTIONS)
  tokenUrl?: string;

  /** The Opcenter application whose commands and entities are used, e.g. `OpcenterEXDS`. */
  @IsString()
  @Matches(/^[A-Za-z][A-Za-z0-9_]*$/, { message: 'must be an Opcenter application name (letters, digits, _)' })
  app: string;

  /** Commands in flight at once; 1 keeps commands in order across objects too. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(16)
  maxConcurrentWrites?: number;
}

export interface OpcenterConfig {
  baseUrl: string;
  tokenUrl: string;
  app: string;
  clientId: string;
  clientSecret: Secret;
  writesPerSecond: number;
  maxConcurrentWrites: number;
  requestTimeoutMs: number;
}

/** 20 % under the MOM service bus's default of 20 transactions per second. */
export const OPCENTER_DEFAULT_WRITES_PER_SECOND = 16;

/**
 * Validates an `opcenter` connection block; the secret comes from `clientSecret` or the
 * environment variable named by `clientSecretEnv`.
 *
 * @example
 * parseOpcenterConfig({ baseUrl: 'http://127.0.0.1:18201', app: 'OpcenterEXDS', clientId: 'loopgate',
 *                       clientSecretEnv: 'OPCENTER_CLIENT_SECRET' });
 */
export function parseOpcenterConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): OpcenterConfig {
  const c = parseConfigClass(OpcenterConnection, raw, '$');
  const baseUrl = c.baseUrl.replace(/\/+$/, '');
  return {
    baseUrl,
    tokenUrl: c.tokenUrl ?? `${baseUrl}/sit-auth/OAuth/Token`,
    app: c.app,
    clientId: c.clientId,
    clientSecret: resolveSecret({ value: c.clientSecret, envName: c.clientSecretEnv }, '$.clientSecret', env),
    writesPerSecond: c.writesPerSecond ?? OPCENTER_DEFAULT_WRITES_PER_SECOND,
    maxConcurrentWrites: c.maxConcurrentWrites ?? 1,
    requestTimeoutMs: c.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}
