import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { parseTargetGovernance } from '../gateway/config/target-governance';
import { parseTargetInstance } from '../targets/registry';
import { TargetConfigError } from '../targets/target-config';
import { ConfigError, resolveSecrets, type LoopgateConfig } from './config';

/**
 * Exit codes of `npm start` (documented in README.md, "Start-up refusals"):
 * 2 the configuration is invalid or could lose data; 3 a service it names (database, Kafka) does not answer;
 * 1 anything else (a bug: reported with its stack).
 */
export const EXIT_CODES = { failure: 1, config: 2, unreachable: 3, inUse: 4 } as const;

/** A service named in the configuration does not answer: the gateway refuses to start rather than retry silently. */
export class UnreachableError extends Error {
  constructor(
    /** The environment variable that names the service, e.g. `LOOPGATE_DATABASE_URL`. */
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'UnreachableError';
  }
}

/** How long a service may take to answer at start before the gateway refuses to start. */
export const PREFLIGHT_TIMEOUT_MS = 5_000;

/**
 * Checks, before anything starts, what would otherwise fail late or lose commands: target
 * connections and their secrets, governance, the data folder, the database and Kafka.
 * Throws `ConfigError` (exit 2) or `UnreachableError` (exit 3), each naming the variable.
 *
 * @example await preflight(loadConfig()); // then startGateway(config)
 */
export async function preflight(
  config: LoopgateConfig,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = PREFLIGHT_TIMEOUT_MS,
): Promise<void> {
  checkTargets(config, env);
  if (config.databaseUrl) await checkPostgres(config.databaseUrl, timeoutMs);
  else checkDataDir(config.dataDir);
  if (config.bus === 'kafka') await checkKafka(config.kafkaBrokers ?? '', timeoutMs);
}

/** Every target's connection (secrets included) and governance, as the gateway module will build them. */
function checkTargets(config: LoopgateConfig, env: NodeJS.ProcessEnv): void {
  const problems: string[] = [];
  config.site.targets.forEach((target, index) => {
    try {
      parseTargetGovernance(target, index);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
    try {
      const connection = resolveSecrets(target.connection, env);
      parseTargetInstance({ instance: target.instance, kind: target.kind, connection });
    } catch (error) {
      if (error instanceof ConfigError) {
        problems.push(...error.problems.map((p) => `site.targets[${target.instance}].connection: ${p}`));
      } else if (error instanceof TargetConfigError) {
        problems.push(
          ...error.issues.map(
            (issue) => `site.targets[${target.instance}]${issue.path.replace(/^\$/, '')}: ${issue.message}`,
          ),
        );
      } else throw error;
    }
  });
  if (problems.length) throw new ConfigError(problems);
}

function checkDataDir(dataDir: string): void {
  const dir = path.resolve(dataDir);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new ConfigError([`LOOPGATE_DATA_DIR: cannot write ${dir}: ${(error as NodeJS.ErrnoException).code ?? ''}`]);
  }
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function checkPostgres(url: string, timeoutMs: number): Promise<void> {
  const probe = new DataSource({ type: 'postgres', url, connectTimeoutMS: timeoutMs, extra: { max: 1 } });
  try {
    await probe.initialize();
    await probe.query('SELECT 1');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const cause = e.code && !/^\d/.test(e.code) ? e.code : e.message;
    throw new UnreachableError('LOOPGATE_DATABASE_URL', `cannot connect to ${redactUrl(url)} (${cause})`);
  } finally {
    if (probe.isInitialized) await probe.destroy().catch(() => undefined);
  }
}

async function checkKafka(brokerList: string, timeoutMs: number): Promise<void> {
  const brokers = brokerList
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const kafka = new Kafka({
    clientId: 'loopgate-preflight',
    brokers,
    connectionTimeout: Math.min(timeoutMs, 3_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      admin.connect().then(() => admin.describeCluster()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new UnreachableError(
      'LOOPGATE_KAFKA_BROKERS',
      `no Kafka broker of ${brokers.join(',')} answers (${(error as Error).message})`,
    );
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
