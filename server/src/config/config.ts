import * as fs from 'node:fs';
import * as path from 'node:path';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateNested,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { TARGET_KINDS, type TargetKind } from '@loopgate/contracts';

/** One configured write-back target: its connection (validated by the target's own schema) and its governance. */
export class TargetInstanceConfig {
  @Matches(/^[a-z0-9][a-z0-9._-]{0,62}$/, { message: 'instance must be lowercase letters, digits, ".", "_" or "-"' })
  instance: string;

  @IsIn(TARGET_KINDS as unknown as string[])
  kind: TargetKind;

  /** Kind-specific connection settings; secrets may be given as `{ "env": "VAR_NAME" }`. */
  @IsObject()
  connection: Record<string, unknown>;

  /** Hard stops (bounds, step, rate, cooldown, interlocks, TTL); validated by the gateway. */
  @IsOptional()
  @IsObject()
  guardrails?: Record<string, unknown>;

  /** Which changes need a person's signature; validated by the gateway. */
  @IsOptional()
  @IsArray()
  approvals?: Record<string, unknown>[];

  @IsOptional()
  @IsBoolean()
  shadow?: boolean;
}

/** The site file (`LOOPGATE_SITE_FILE`): what flows cannot change. */
export class SiteConfig {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TargetInstanceConfig)
  targets: TargetInstanceConfig[] = [];
}

/** The gateway's settings, from environment variables. */
export class LoopgateConfig {
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 1880;

  @IsString()
  host = '127.0.0.1';

  @IsString()
  @MinLength(1)
  dataDir = './data';

  /** `postgres://user:pass@host:5432/db`; SQLite in `<dataDir>/loopgate.db` when absent. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'databaseUrl must be a postgres:// or postgresql:// URL' })
  databaseUrl?: string;

  @IsOptional()
  @IsString()
  siteFile?: string;

  /** A flow file from `flows/` (FlowFile) or a Node-RED flows.json loaded into the embedded Node-RED. */
  @IsOptional()
  @IsString()
  flowFile?: string;

  @IsBoolean()
  nodeRed = true;

  @IsIn(['outbox', 'kafka'])
  bus: 'outbox' | 'kafka' = 'outbox';

  @IsOptional()
  @IsString()
  kafkaBrokers?: string;

  /** Encrypts Node-RED credentials at rest. */
  @IsOptional()
  @IsString()
  @MinLength(16)
  credentialSecret?: string;

  @IsIn(['error', 'warn', 'info', 'debug'])
  logLevel: 'error' | 'warn' | 'info' | 'debug' = 'info';

  site: SiteConfig = new SiteConfig();
}

/** Environment variable that sets each field, so errors name what the user typed. */
const ENV_NAMES: Record<string, string> = {
  port: 'LOOPGATE_PORT',
  host: 'LOOPGATE_HOST',
  dataDir: 'LOOPGATE_DATA_DIR',
  databaseUrl: 'LOOPGATE_DATABASE_URL',
  siteFile: 'LOOPGATE_SITE_FILE',
  flowFile: 'LOOPGATE_FLOW_FILE',
  nodeRed: 'LOOPGATE_NODE_RED',
  bus: 'LOOPGATE_BUS',
  kafkaBrokers: 'LOOPGATE_KAFKA_BROKERS',
  credentialSecret: 'LOOPGATE_CREDENTIAL_SECRET',
  logLevel: 'LOOPGATE_LOG_LEVEL',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function flatten(errors: ValidationError[], prefix: string, out: string[]): void {
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : (ENV_NAMES[error.property] ?? error.property);
    for (const message of Object.values(error.constraints ?? {})) out.push(`${field}: ${message}`);
    flatten(error.children ?? [], /^\d+$/.test(error.property) ? `${prefix}[${error.property}]` : field, out);
  }
}

function parseValue(field: string, raw: string): unknown {
  if (field === 'port') return /^\d+$/.test(raw) ? Number(raw) : raw;
  if (field === 'nodeRed') return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  return raw;
}

/**
 * Reads and validates the configuration from the environment (and the site file it names).
 * Throws `ConfigError` naming every bad field, e.g. `LOOPGATE_PORT: port must not be greater than 65535`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<LoopgateConfig> = {}): LoopgateConfig {
  const plain: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(ENV_NAMES)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') plain[field] = parseValue(field, raw);
  }
  const config = Object.assign(plainToInstance(LoopgateConfig, plain), overrides);
  const problems: string[] = [];
  flatten(validateSync(config, { forbidUnknownValues: false }), '', problems);
  if (problems.length) throw new ConfigError(problems);

  if (config.siteFile && !overrides.site) {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(path.resolve(config.siteFile), 'utf8'));
    } catch (error) {
      throw new ConfigError([`LOOPGATE_SITE_FILE: cannot read ${config.siteFile}: ${(error as Error).message}`]);
    }
    config.site = plainToInstance(SiteConfig, raw);
  }
  const siteProblems: string[] = [];
  flatten(validateSync(config.site, { whitelist: true, forbidNonWhitelisted: true }), 'site', siteProblems);
  if (siteProblems.length) throw new ConfigError(siteProblems);
  const seen = new Set<string>();
  for (const target of config.site.targets) {
    if (seen.has(target.instance)) throw new ConfigError([`site.targets: instance "${target.instance}" is configured twice`]);
    seen.add(target.instance);
  }
  return config;
}

/** Resolves `{ "env": "NAME" }` secret references in a target's connection settings. */
export function resolveSecrets(value: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveSecrets(v, env));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0][0] === 'env' && typeof entries[0][1] === 'string') {
      const resolved = env[entries[0][1]];
      if (resolved === undefined) throw new ConfigError([`environment variable ${entries[0][1]} is not set`]);
      return resolved;
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolveSecrets(v, env)]));
  }
  return value;
}

export const LOOPGATE_CONFIG = Symbol('LOOPGATE_CONFIG');
