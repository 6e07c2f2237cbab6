import 'reflect-metadata';
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
  Validate,
  validateSync,
  ValidatorConstraint,
  type ValidationError,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { AUDIT_OUTCOMES, TARGET_KINDS, type AuditOutcome, type TargetKind } from '@loopgate/contracts';

@ValidatorConstraint({ name: 'attempts' })
class AttemptsConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return value === 'unlimited' || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 1000);
  }
  defaultMessage(): string {
    return 'attempts must be a whole number from 1 to 1000, or "unlimited"';
  }
}

/**
 * `site.targets[].processing`: what the gateway does when the target fails (see `ProcessingStrategy`).
 * Default: unlimited attempts until `notAfter`, backoff 250 ms … 30 s, an outage holds the key's queue.
 */
export class ProcessingConfig {
  /** A number of attempts, or `"unlimited"` (until the command's `notAfter`). */
  @IsOptional()
  @Validate(AttemptsConstraint)
  attempts?: number | 'unlimited';

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600_000)
  initialDelayMs?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3_600_000)
  maxDelayMs?: number;

  /** `hold`: an outage (5xx, no answer, a lock someone else holds) waits without spending attempts; `retry`: it spends them. */
  @IsOptional()
  @IsIn(['hold', 'retry'])
  outage?: 'hold' | 'retry';

  /** How long a command may stay `reconciling` before it goes to quarantine (default 900000: 15 min). */
  @IsOptional()
  @IsInt()
  @Min(1_000)
  @Max(604_800_000)
  reconcileLimitMs?: number;

  /** Consecutive outage signals (5xx, refused or silent connections) that mark the target down (default 3). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  markDownAfter?: number;

  /** When attempts run out: `fail` (default) or `quarantine` (an operator releases or resolves it). */
  @IsOptional()
  @IsIn(['fail', 'quarantine'])
  giveUp?: 'fail' | 'quarantine';
}

/** Audit outcomes a target's event log receives unless `eventLog.outcomes` says otherwise: every outcome of a write-back. */
export const DEFAULT_EVENT_LOG_OUTCOMES: readonly AuditOutcome[] = [
  'accepted',
  'pending',
  'approved',
  'rejected',
  'applied',
  'failed',
  'expired',
  'overridden',
  'reverted',
  'shadow',
];

/** `site.targets[].eventLog`: the mirror of the audit trail into the MES's own event log (docs/audit.md). */
export class EventLogConfig {
  /** Mirror into this target's event log; default on where the target has one (OPC UA servers have none). */
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  /** The audit outcomes that become events; default `DEFAULT_EVENT_LOG_OUTCOMES`. */
  @IsOptional()
  @IsArray()
  @IsIn(AUDIT_OUTCOMES as unknown as string[], { each: true })
  outcomes?: AuditOutcome[];

  /** Also publish every signed audit checkpoint (default true): an anchor of the chain outside Loopgate. */
  @IsOptional()
  @IsBoolean()
  checkpoints?: boolean;
}

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

  @IsOptional()
  @ValidateNested()
  @Type(() => ProcessingConfig)
  processing?: ProcessingConfig;

  @IsOptional()
  @ValidateNested()
  @Type(() => EventLogConfig)
  eventLog?: EventLogConfig;
}

/** Who may call one flow HTTP endpoint (`/flows-http/<path>`); `path` may end in `*`. */
export class FlowEndpointConfig {
  @Matches(/^\/[A-Za-z0-9._~:@!$&'()+,;=/-]*\*?$/, { message: 'path must start with / and may end in *' })
  path: string;

  /** `token`: service tokens only (AI services); `session-or-token` (the default): a signed-in person too. */
  @IsIn(['token', 'session-or-token'])
  auth: 'token' | 'session-or-token';

  /** Names of the service tokens accepted; any service token when absent. */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tokens?: string[];
}

/** The Node-RED process: what it may do, which the flows cannot change. */
export class NodeRedSiteConfig {
  /** Loads Node-RED's `exec` node (operating-system commands as the Node-RED user); off by default. */
  @IsOptional()
  @IsBoolean()
  enableExec?: boolean;

  /** Flow deploys need a second engineer's signature (the default); `false` lets them go live at once, audited. */
  @IsOptional()
  @IsBoolean()
  flowChangeControl?: boolean;

  /** Operating-system user Node-RED runs as when the gateway runs as root; `nobody` by default. */
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'user must be an operating-system user name' })
  user?: string;

  /** Non-secret values the flows read as environment variables (the gateway's own environment is not passed). */
  @IsOptional()
  @IsObject()
  env?: Record<string, string>;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => FlowEndpointConfig)
  httpEndpoints?: FlowEndpointConfig[];
}

/** The site file (`LOOPGATE_SITE_FILE`): what flows cannot change. */
export class SiteConfig {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => TargetInstanceConfig)
  targets: TargetInstanceConfig[] = [];

  /** Earned autonomy: scopes and their first levels, promotion thresholds, demotion; validated by the autonomy module. */
  @IsOptional()
  @IsObject()
  autonomy?: Record<string, unknown>;

  @IsOptional()
  @ValidateNested()
  @Type(() => NodeRedSiteConfig)
  nodeRed?: NodeRedSiteConfig;
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

  /** Command topic of the Kafka bus; one per plant when plants share a cluster. */
  @IsOptional()
  @Matches(/^[a-zA-Z0-9._-]{1,249}$/, { message: 'kafkaTopic must be a Kafka topic name' })
  kafkaTopic?: string;

  /** Consumer group every gateway worker of one plant joins. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  kafkaGroupId?: string;

  /** How long a silent gateway worker keeps its partitions before the others take over. */
  @IsOptional()
  @IsInt()
  @Min(6000)
  @Max(300000)
  kafkaSessionTimeoutMs?: number;

  /** Connect to the brokers over TLS (implied by kafkaCaFile). */
  @IsBoolean()
  kafkaSsl = false;

  /** PEM file of the CA (or self-signed certificate) the brokers' certificates are checked against. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  kafkaCaFile?: string;

  @IsOptional()
  @IsIn(['plain', 'scram-sha-256', 'scram-sha-512'])
  kafkaSaslMechanism?: 'plain' | 'scram-sha-256' | 'scram-sha-512';

  @IsOptional()
  @IsString()
  @MinLength(1)
  kafkaSaslUsername?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  kafkaSaslPassword?: string;

  /** Encrypts Node-RED credentials at rest. */
  @IsOptional()
  @IsString()
  @MinLength(16)
  credentialSecret?: string;

  @IsIn(['error', 'warn', 'info', 'debug'])
  logLevel: 'error' | 'warn' | 'info' | 'debug' = 'info';

  /** How long a signed-in session lasts, in minutes (a shift by default). */
  @IsInt()
  @Min(5)
  @Max(10080)
  sessionTtlMinutes = 480;

  /** Consecutive failed logins or signatures that lock an account. */
  @IsInt()
  @Min(1)
  @Max(100)
  lockoutThreshold = 5;

  @IsInt()
  @Min(1)
  @Max(1440)
  lockoutMinutes = 15;

  /**
   * API requests one principal (a person or a service token) may make per minute, counted in the
   * database across every gateway process; past it 429 TOO_MANY_REQUESTS with Retry-After. 0: no limit.
   */
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  apiRequestsPerMinute = 30_000;

  /** The same per client address for requests without valid credentials (sign-in, health, metrics). 0: no limit. */
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  apiAnonymousRequestsPerMinute = 6_000;

  /** Creates or resets user `admin` at start when no admin exists. */
  @IsOptional()
  @IsString()
  @MinLength(12)
  adminPassword?: string;

  /** Registers a service token with this value at start (stored hashed), for Node-RED runtimes. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._~-]{24,256}$/, {
    message: 'bootstrapToken must be 24 to 256 letters, digits, ".", "_", "~" or "-"',
  })
  bootstrapToken?: string;

  /** Origins allowed to call the API from a browser; none (CORS closed) by default. */
  @IsArray()
  @Matches(/^https?:\/\/[^/\s]+$/, {
    each: true,
    message: 'corsOrigins must be origins such as https://console.example.com',
  })
  corsOrigins: string[] = [];

  /** PEM certificate and key: when both are set the gateway serves HTTPS. */
  @IsOptional()
  @IsString()
  tlsCert?: string;

  @IsOptional()
  @IsString()
  tlsKey?: string;

  /** Marks the session cookie `Secure`; on by default with TLS, set it behind a TLS-terminating proxy. */
  @IsOptional()
  @IsBoolean()
  secureCookies?: boolean;

  /** OpenID Connect sign-in (optional): the issuer URL, e.g. `https://login.example.com/realms/plant`. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'oidcIssuer must be an http(s) URL' })
  oidcIssuer?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  oidcClientId?: string;

  @IsOptional()
  @IsString()
  oidcClientSecret?: string;

  /** The callback URL registered at the IdP: `<public url>/api/v1/auth/oidc/callback`. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+\/api\/v1\/auth\/oidc\/callback$/, {
    message: 'oidcRedirectUrl must be an http(s) URL ending in /api/v1/auth/oidc/callback',
  })
  oidcRedirectUrl?: string;

  @IsString()
  oidcScopes = 'openid profile email';

  @IsString()
  @MinLength(1)
  oidcUsernameClaim = 'preferred_username';

  @IsString()
  @MinLength(1)
  oidcRolesClaim = 'groups';

  /** `idp-group=role,...`, e.g. `plant-engineers=engineer,plant-admins=admin`. */
  @IsOptional()
  @Matches(
    /^\s*[^=,\s]+\s*=\s*(viewer|operator|qa|engineer|admin)\s*(,\s*[^=,\s]+\s*=\s*(viewer|operator|qa|engineer|admin)\s*)*$/,
    {
      message:
        'oidcRoleMap must be group=role pairs separated by commas, roles viewer, operator, qa, engineer or admin',
    },
  )
  oidcRoleMap?: string;

  /** Role of an SSO user whose groups map to none; absent: such a user is refused. */
  @IsOptional()
  @IsIn(['viewer', 'operator', 'qa', 'engineer', 'admin'])
  oidcDefaultRole?: 'viewer' | 'operator' | 'qa' | 'engineer' | 'admin';

  /** Allows an issuer over plain http (a test IdP); never in production. */
  @IsBoolean()
  oidcAllowInsecure = false;

  /**
   * Signs audit checkpoints (HMAC-SHA256 over its UTF-8 bytes); never stored in the database.
   * Absent: a key is generated into `<dataDir>/audit-key` (mode 0600) and the log says so.
   */
  @IsOptional()
  @IsString()
  @MinLength(32)
  auditKey?: string;

  /** A signed checkpoint after this many new audit records... */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  auditCheckpointRecords = 100;

  /** ...or this many seconds after the last one, when the chain has grown. */
  @IsInt()
  @Min(1)
  @Max(86_400)
  auditCheckpointSeconds = 60;

  /** Append-only NDJSON of signed checkpoints (place it on WORM storage); `<dataDir>/audit-checkpoints.ndjson` by default. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  auditCheckpointFile?: string;

  /** Express `trust proxy`: `false`, `true`, a hop count or addresses/subnets, e.g. `loopback, 10.0.0.0/8`. */
  @IsOptional()
  @IsString()
  trustProxy?: string;

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
  kafkaTopic: 'LOOPGATE_KAFKA_TOPIC',
  kafkaGroupId: 'LOOPGATE_KAFKA_GROUP_ID',
  kafkaSessionTimeoutMs: 'LOOPGATE_KAFKA_SESSION_TIMEOUT_MS',
  kafkaSsl: 'LOOPGATE_KAFKA_SSL',
  kafkaCaFile: 'LOOPGATE_KAFKA_CA_FILE',
  kafkaSaslMechanism: 'LOOPGATE_KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'LOOPGATE_KAFKA_SASL_USERNAME',
  kafkaSaslPassword: 'LOOPGATE_KAFKA_SASL_PASSWORD',
  credentialSecret: 'LOOPGATE_CREDENTIAL_SECRET',
  logLevel: 'LOOPGATE_LOG_LEVEL',
  sessionTtlMinutes: 'LOOPGATE_SESSION_TTL_MINUTES',
  lockoutThreshold: 'LOOPGATE_LOCKOUT_THRESHOLD',
  lockoutMinutes: 'LOOPGATE_LOCKOUT_MINUTES',
  apiRequestsPerMinute: 'LOOPGATE_API_REQUESTS_PER_MINUTE',
  apiAnonymousRequestsPerMinute: 'LOOPGATE_API_ANONYMOUS_REQUESTS_PER_MINUTE',
  adminPassword: 'LOOPGATE_ADMIN_PASSWORD',
  bootstrapToken: 'LOOPGATE_BOOTSTRAP_TOKEN',
  corsOrigins: 'LOOPGATE_CORS_ORIGINS',
  tlsCert: 'LOOPGATE_TLS_CERT',
  tlsKey: 'LOOPGATE_TLS_KEY',
  secureCookies: 'LOOPGATE_SECURE_COOKIES',
  oidcIssuer: 'LOOPGATE_OIDC_ISSUER',
  oidcClientId: 'LOOPGATE_OIDC_CLIENT_ID',
  oidcClientSecret: 'LOOPGATE_OIDC_CLIENT_SECRET',
  oidcRedirectUrl: 'LOOPGATE_OIDC_REDIRECT_URL',
  oidcScopes: 'LOOPGATE_OIDC_SCOPES',
  oidcUsernameClaim: 'LOOPGATE_OIDC_USERNAME_CLAIM',
  oidcRolesClaim: 'LOOPGATE_OIDC_ROLES_CLAIM',
  oidcRoleMap: 'LOOPGATE_OIDC_ROLE_MAP',
  oidcDefaultRole: 'LOOPGATE_OIDC_DEFAULT_ROLE',
  oidcAllowInsecure: 'LOOPGATE_OIDC_ALLOW_INSECURE',
  auditKey: 'LOOPGATE_AUDIT_KEY',
  auditCheckpointRecords: 'LOOPGATE_AUDIT_CHECKPOINT_RECORDS',
  auditCheckpointSeconds: 'LOOPGATE_AUDIT_CHECKPOINT_SECONDS',
  auditCheckpointFile: 'LOOPGATE_AUDIT_CHECKPOINT_FILE',
  trustProxy: 'LOOPGATE_TRUST_PROXY',
};

const INTEGER_FIELDS = new Set([
  'port',
  'sessionTtlMinutes',
  'lockoutThreshold',
  'lockoutMinutes',
  'apiRequestsPerMinute',
  'apiAnonymousRequestsPerMinute',
  'kafkaSessionTimeoutMs',
  'auditCheckpointRecords',
  'auditCheckpointSeconds',
]);
const BOOLEAN_FIELDS = new Set(['nodeRed', 'secureCookies', 'oidcAllowInsecure', 'kafkaSsl']);

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
  if (INTEGER_FIELDS.has(field)) return /^\d+$/.test(raw) ? Number(raw) : raw;
  if (BOOLEAN_FIELDS.has(field))
    return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  if (field === 'corsOrigins')
    return raw
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
  return raw;
}

/**
 * Reads and validates the configuration from the environment (and the site file it names).
 * Throws `ConfigError` naming every bad field, e.g. `LOOPGATE_PORT: port must not be greater than 65535`.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<LoopgateConfig> = {},
): LoopgateConfig {
  const plain: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(ENV_NAMES)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') plain[field] = parseValue(field, raw);
  }
  const config = Object.assign(plainToInstance(LoopgateConfig, plain), overrides);
  const problems: string[] = [];
  flatten(validateSync(config, { forbidUnknownValues: false }), '', problems);
  problems.push(...crossFieldProblems(config));
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
    if (seen.has(target.instance))
      throw new ConfigError([`site.targets: instance "${target.instance}" is configured twice`]);
    seen.add(target.instance);
  }
  return config;
}

/** Settings that only make sense together: TLS certificate and key, the OpenID Connect client. */
function crossFieldProblems(config: LoopgateConfig): string[] {
  const problems: string[] = [];
  if (config.bus === 'kafka') problems.push(...sharedBusProblems(config));
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey))
    problems.push('LOOPGATE_TLS_CERT, LOOPGATE_TLS_KEY: set both or neither');
  for (const field of ['tlsCert', 'tlsKey'] as const) {
    const file = config[field];
    if (file && !fs.existsSync(path.resolve(file))) problems.push(`${ENV_NAMES[field]}: cannot read ${file}`);
  }
  const oidcFields = ['oidcIssuer', 'oidcClientId', 'oidcRedirectUrl'] as const;
  if (oidcFields.some((field) => config[field]) || config.oidcClientSecret) {
    for (const field of oidcFields) {
      if (!config[field]) problems.push(`${ENV_NAMES[field]}: required when OpenID Connect sign-in is configured`);
    }
    for (const field of ['oidcIssuer', 'oidcRedirectUrl'] as const) {
      if (config[field]?.startsWith('http:') && !config.oidcAllowInsecure) {
        problems.push(
          `${ENV_NAMES[field]}: must be https (LOOPGATE_OIDC_ALLOW_INSECURE=true allows http for a test IdP)`,
        );
      }
    }
  }
  return problems;
}

/**
 * A shared bus hands a command to whichever gateway owns its partition, and that gateway must find
 * it in the database: with per-process SQLite it never would, and the command would stay queued forever.
 */
function sharedBusProblems(config: LoopgateConfig): string[] {
  const problems: string[] = [];
  if (!config.databaseUrl) {
    problems.push(
      'LOOPGATE_BUS: kafka needs a database every gateway shares (set LOOPGATE_DATABASE_URL); per-process SQLite would lose commands',
    );
  }
  const brokers = (config.kafkaBrokers ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) {
    problems.push('LOOPGATE_KAFKA_BROKERS: set the Kafka brokers (host:port,...) when LOOPGATE_BUS=kafka');
  } else {
    const invalid = brokers.filter((b) => !/^[^\s:/]+:\d{1,5}$/.test(b));
    if (invalid.length) problems.push(`LOOPGATE_KAFKA_BROKERS: "${invalid.join(', ')}" is not host:port`);
  }
  problems.push(...kafkaConnectionProblems(config));
  return problems;
}

/** TLS and SASL settings of the Kafka bus that cannot work together. */
function kafkaConnectionProblems(config: LoopgateConfig): string[] {
  const problems: string[] = [];
  if (config.kafkaSaslMechanism && (!config.kafkaSaslUsername || !config.kafkaSaslPassword))
    problems.push('LOOPGATE_KAFKA_SASL_MECHANISM: needs LOOPGATE_KAFKA_SASL_USERNAME and LOOPGATE_KAFKA_SASL_PASSWORD');
  if (!config.kafkaSaslMechanism && (config.kafkaSaslUsername || config.kafkaSaslPassword))
    problems.push(
      'LOOPGATE_KAFKA_SASL_USERNAME: set LOOPGATE_KAFKA_SASL_MECHANISM (plain, scram-sha-256, scram-sha-512)',
    );
  if (config.kafkaSaslMechanism === 'plain' && !config.kafkaSsl && !config.kafkaCaFile)
    problems.push('LOOPGATE_KAFKA_SASL_MECHANISM: plain sends the password in clear text; set LOOPGATE_KAFKA_SSL=true');
  if (config.kafkaCaFile && !fs.existsSync(config.kafkaCaFile))
    problems.push(`LOOPGATE_KAFKA_CA_FILE: ${config.kafkaCaFile} does not exist`);
  return problems;
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
