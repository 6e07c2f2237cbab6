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

/** The `connection` block of a `cmms` target (Maximo-style object-structure REST) in the gateway's configuration. */
export class CmmsConnection extends TargetConnection {
  /** Base URL of the CMMS server, e.g. `https://maximo.plant.local`; the API is under `{baseUrl}/maximo/oslc`. */
  @IsUrl(HTTP_URL_OPTIONS)
  baseUrl: string;

  /** The API key itself; prefer `apiKeyEnv`. */
  @IsOptional()
  @IsString()
  apiKey?: string;

  /** Name of the environment variable holding the API key. */
  @IsOptional()
  @IsString()
  @Matches(ENV_VAR_NAME, { message: 'must be an environment variable name' })
  apiKeyEnv?: string;

  /** The site whose work orders Loopgate creates and reads, e.g. `BEDFORD`. */
  @IsString()
  @Matches(/^[A-Z0-9_]{1,8}$/, { message: 'must be a site id (1-8 upper-case letters, digits or _)' })
  siteId: string;

  /** Work type of created work orders; default `PM` (preventive maintenance). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  workType?: string;
}

export interface CmmsConfig {
  baseUrl: string;
  apiKey: Secret;
  siteId: string;
  workType: string;
  writesPerSecond: number;
  requestTimeoutMs: number;
}

export const CMMS_DEFAULT_WRITES_PER_SECOND = 5;

/**
 * Validates a `cmms` connection block; the API key comes from `apiKey` or the environment
 * variable named by `apiKeyEnv`.
 *
 * @example
 * parseCmmsConfig({ baseUrl: 'http://127.0.0.1:18261', siteId: 'BEDFORD', apiKeyEnv: 'MAXIMO_API_KEY' });
 */
export function parseCmmsConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): CmmsConfig {
  const c = parseConfigClass(CmmsConnection, raw, '$');
  return {
    baseUrl: c.baseUrl.replace(/\/+$/, ''),
    apiKey: resolveSecret({ value: c.apiKey, envName: c.apiKeyEnv }, '$.apiKey', env),
    siteId: c.siteId,
    workType: c.workType ?? 'PM',
    writesPerSecond: c.writesPerSecond ?? CMMS_DEFAULT_WRITES_PER_SECOND,
    requestTimeoutMs: c.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}
