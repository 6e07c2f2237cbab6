import { IsString, IsUrl, Matches } from 'class-validator';
import type { Secret } from '../secret';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  HTTP_URL_OPTIONS,
  parseConfigClass,
  resolveSecret,
  ClientCredentialsConnection,
} from '../target-config';

/** The `connection` block of a `sapdm` target (SAP Digital Manufacturing's REST APIs) in the gateway's configuration. */
export class SapDmConnection extends ClientCredentialsConnection {
  /** The API's base URL, e.g. `https://api.eu20.dmc.cloud.sap`. */
  @IsUrl(HTTP_URL_OPTIONS)
  baseUrl: string;

  /** The OAuth client-credentials token endpoint of the subaccount, e.g. `https://<subdomain>.authentication.eu20.hana.ondemand.com/oauth/token`. */
  @IsUrl(HTTP_URL_OPTIONS)
  tokenUrl: string;

  /** The plant whose SFCs and orders Loopgate changes, e.g. `1710`. */
  @IsString()
  @Matches(/^[A-Za-z0-9_]{1,10}$/, { message: 'must be a plant id (1-10 letters, digits or _)' })
  plant: string;
}

export interface SapDmConfig {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: Secret;
  plant: string;
  writesPerSecond: number;
  requestTimeoutMs: number;
}

/** Digital Manufacturing's API management throttles per client; stay well below it. */
export const SAPDM_DEFAULT_WRITES_PER_SECOND = 10;

/**
 * Validates a `sapdm` connection block; the secret comes from `clientSecret` or the environment
 * variable named by `clientSecretEnv`.
 *
 * @example
 * parseSapDmConfig({ baseUrl: 'http://127.0.0.1:18291', tokenUrl: 'http://127.0.0.1:18291/oauth/token',
 *                    clientId: 'sb-loopgate', clientSecretEnv: 'SAPDM_CLIENT_SECRET', plant: '1710' });
 */
export function parseSapDmConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): SapDmConfig {
  const c = parseConfigClass(SapDmConnection, raw, '$');
  return {
    baseUrl: c.baseUrl.replace(/\/+$/, ''),
    tokenUrl: c.tokenUrl,
    clientId: c.clientId,
    clientSecret: resolveSecret({ value: c.clientSecret, envName: c.clientSecretEnv }, '$.clientSecret', env),
    plant: c.plant,
    writesPerSecond: c.writesPerSecond ?? SAPDM_DEFAULT_WRITES_PER_SECOND,
    requestTimeoutMs: c.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}
