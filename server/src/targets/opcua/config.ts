import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import type { Secret } from '../secret';
import { ENV_VAR_NAME, parseConfigClass, resolveSecret, TargetConfigError, TargetConnection } from '../target-config';

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type OpcuaSecurityMode = (typeof OPCUA_SECURITY_MODES)[number];

export const OPCUA_SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type OpcuaSecurityPolicy = (typeof OPCUA_SECURITY_POLICIES)[number];

/** `ns=1;s=…`, `nsu=urn:…;s=…` or `i=2259`: an OPC UA node id as text. */
const NODE_ID = /^(?:(?:ns=\d+|nsu=[^;]+);)?[isgb]=.+$/;

/** The `connection` block of an `opcua` target in the gateway's configuration. */
export class OpcuaConnection extends TargetConnection {
  /** The server's endpoint, e.g. `opc.tcp://cnc-cell-01.plant.local:4840`. */
  @IsString()
  @Matches(/^opc\.tcp:\/\/[^\s/:]+(?::\d{1,5})?(?:\/\S*)?$/, { message: 'must be an opc.tcp:// endpoint URL' })
  endpointUrl: string;

  /**
   * Namespace of the nodes a short address names: object `CNC_Cell_01` + parameter `FeedRate` is
   * the node `nsu=<namespaceUri>;s=CNC_Cell_01.FeedRate`. Default: the server's own namespace (1).
   */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  namespaceUri?: string;

  @IsOptional()
  @IsIn(OPCUA_SECURITY_MODES)
  securityMode?: OpcuaSecurityMode;

  @IsOptional()
  @IsIn(OPCUA_SECURITY_POLICIES)
  securityPolicy?: OpcuaSecurityPolicy;

  /** Trust a server certificate not yet in the trust list (commissioning only). */
  @IsOptional()
  @IsBoolean()
  trustUnknownServerCertificate?: boolean;

  /** User name of the session; anonymous when absent. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  username?: string;

  /** The password itself; prefer `passwordEnv`. */
  @IsOptional()
  @IsString()
  password?: string;

  /** Name of the environment variable holding the password. */
  @IsOptional()
  @IsString()
  @Matches(ENV_VAR_NAME, { message: 'must be an environment variable name' })
  passwordEnv?: string;

  /** A node whose value must read Good for the target to be healthy (e.g. the PLC link status). */
  @IsOptional()
  @IsString()
  @Matches(NODE_ID, { message: 'must be an OPC UA node id such as ns=1;s=Cell.Status' })
  healthNodeId?: string;

  /**
   * Flag AI changes at the HMI: with each write to a string node id `…;s=X` the gateway also writes
   * the companion Boolean `…;s=X_AIChanged` (true for an AI write, false for a person's) and the
   * String `…;s=X_AIChangedBy` (model, version and command, or empty), in the same Write request.
   */
  @IsOptional()
  @IsBoolean()
  aiChangedFlag?: boolean;

  /** Folder of the client's application certificate; default a folder under the OS temp dir. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  pkiDir?: string;

  /** Time to open the channel and the session (certificates, handshake), apart from each request's. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(300_000)
  connectTimeoutMs?: number;
}

export interface OpcuaConfig {
  endpointUrl: string;
  namespaceUri?: string;
  securityMode: OpcuaSecurityMode;
  securityPolicy: OpcuaSecurityPolicy;
  trustUnknownServerCertificate: boolean;
  /** Absent: an anonymous session. */
  user?: { username: string; password: Secret };
  healthNodeId?: string;
  /** Write the `_AIChanged` / `_AIChangedBy` companions of each written node. */
  aiChangedFlag: boolean;
  pkiDir: string;
  writesPerSecond: number;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
}

export const OPCUA_DEFAULT_WRITES_PER_SECOND = 10;

/**
 * Validates an `opcua` connection block. The password comes from `password` or the environment
 * variable named by `passwordEnv`, and only with a `username`.
 *
 * @example
 * parseOpcuaConfig({ endpointUrl: 'opc.tcp://127.0.0.1:4840', namespaceUri: 'urn:loopgate:cnc-cell',
 *                    username: 'loopgate', passwordEnv: 'CNC_OPCUA_PASSWORD' });
 */
export function parseOpcuaConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): OpcuaConfig {
  const c = parseConfigClass(OpcuaConnection, raw, '$');
  const securityMode = c.securityMode ?? 'None';
  const securityPolicy = c.securityPolicy ?? (securityMode === 'None' ? 'None' : 'Basic256Sha256');
  if ((securityMode === 'None') !== (securityPolicy === 'None')) {
    throw new TargetConfigError([
      { code: 'INVALID', path: '$.securityPolicy', message: 'must be None exactly when securityMode is None' },
    ]);
  }
  if (c.username === undefined && (c.password !== undefined || c.passwordEnv !== undefined)) {
    throw new TargetConfigError([{ code: 'REQUIRED', path: '$.username', message: 'is needed with a password' }]);
  }
  return {
    endpointUrl: c.endpointUrl,
    namespaceUri: c.namespaceUri,
    securityMode,
    securityPolicy,
    trustUnknownServerCertificate: c.trustUnknownServerCertificate ?? false,
    user:
      c.username === undefined
        ? undefined
        : {
            username: c.username,
            password: resolveSecret({ value: c.password, envName: c.passwordEnv }, '$.password', env),
          },
    healthNodeId: c.healthNodeId,
    aiChangedFlag: c.aiChangedFlag ?? false,
    pkiDir: c.pkiDir ?? join(tmpdir(), 'loopgate-opcua-client-pki'),
    writesPerSecond: c.writesPerSecond ?? OPCUA_DEFAULT_WRITES_PER_SECOND,
    requestTimeoutMs: c.requestTimeoutMs ?? 5_000,
    connectTimeoutMs: c.connectTimeoutMs ?? 10_000,
  };
}
