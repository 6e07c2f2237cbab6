/**
 * The real services integration tests run against (PostgreSQL, Mosquitto, Kafka), started on
 * 127.0.0.1 by `scripts/services.sh` without Docker. The script is idempotent: the first test
 * file to ask starts what is missing, later ones find it running.
 *
 * @example
 * const { postgres, kafka } = await ensureServices(['postgres', 'kafka']);
 * new Kafka({ brokers: kafka.brokers });
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SERVICES_SCRIPT = path.resolve(__dirname, '../../scripts/services.sh');

export type ServiceName = 'postgres' | 'mosquitto' | 'kafka';

export interface PostgresEndpoint {
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

export interface ServiceEndpoints {
  postgres: PostgresEndpoint;
  mosquitto: { url: string };
  kafka: { brokers: string[]; saslSsl?: KafkaSaslSslEndpoint };
}

/** The same broker's SASL_SSL listener: SCRAM user and the CA file of its self-signed certificate. */
export interface KafkaSaslSslEndpoint {
  brokers: string[];
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
  caFile: string;
}

/** Runs `scripts/services.sh <args>`; `env` can move the services dir and ports (a private instance). */
export async function servicesScript(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run('bash', [SERVICES_SCRIPT, ...args], {
      env: { ...process.env, ...env },
      timeout: 15 * 60_000,
      maxBuffer: 10 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failed = error as Error & { stderr?: string };
    throw new Error(`scripts/services.sh ${args.join(' ')} failed: ${failed.stderr?.trim() || failed.message}`, {
      cause: error,
    });
  }
}

/** Reads the `export NAME=value` lines of `services.sh env` into the endpoints the tests use. */
export function parseServiceEnv(text: string): Partial<ServiceEndpoints> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) vars.set(match[1], match[2]);
  }
  const endpoints: Partial<ServiceEndpoints> = {};
  const pg = vars.get('LOOPGATE_DATABASE_URL');
  if (pg) {
    const url = new URL(pg);
    endpoints.postgres = {
      url: pg,
      host: url.hostname,
      port: Number(url.port),
      database: url.pathname.slice(1),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    };
  }
  const mqtt = vars.get('LOOPGATE_MQTT_URL');
  if (mqtt) endpoints.mosquitto = { url: mqtt };
  const kafka = vars.get('LOOPGATE_KAFKA_BROKERS');
  if (kafka) endpoints.kafka = { brokers: kafka.split(',') };
  const sasl = vars.get('LOOPGATE_KAFKA_SASL_BROKERS');
  const password = vars.get('LOOPGATE_KAFKA_SASL_PASSWORD');
  if (endpoints.kafka && sasl && password)
    endpoints.kafka.saslSsl = {
      brokers: sasl.split(','),
      mechanism: 'scram-sha-512',
      username: vars.get('LOOPGATE_KAFKA_SASL_USERNAME') ?? '',
      password,
      caFile: vars.get('LOOPGATE_KAFKA_CA_FILE') ?? '',
    };
  return endpoints;
}

const started = new Map<string, Promise<Partial<ServiceEndpoints>>>();

/**
 * Starts the named services when they are not running (waits until each is ready) and returns
 * how to reach them. Within one test process each set is started once.
 */
export async function ensureServices<N extends ServiceName>(
  names: N[],
  env: NodeJS.ProcessEnv = {},
): Promise<Pick<ServiceEndpoints, N>> {
  const wanted = [...new Set(names)].sort();
  const key = JSON.stringify([wanted, env]);
  let pending = started.get(key);
  if (!pending) {
    pending = servicesScript(['up', ...wanted], env).then(async () =>
      parseServiceEnv(await servicesScript(['env', ...wanted], env)),
    );
    started.set(key, pending);
    pending.catch(() => started.delete(key));
  }
  const endpoints = await pending;
  for (const name of wanted) if (!endpoints[name]) throw new Error(`services.sh env did not describe ${name}`);
  return endpoints as Pick<ServiceEndpoints, N>;
}
