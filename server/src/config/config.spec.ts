import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, resolveSecrets } from './config';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function siteFile(content: unknown): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lg-config-')), 'site.json');
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('loadConfig', () => {
  it('uses port 1880, SQLite in ./data and the outbox bus by default', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 1880, dataDir: './data', bus: 'outbox', nodeRed: true });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads LOOPGATE_* variables', () => {
    const config = loadConfig({
      LOOPGATE_PORT: '8080',
      LOOPGATE_DATABASE_URL: 'postgres://u:p@127.0.0.1/db',
      LOOPGATE_NODE_RED: 'false',
    });
    expect(config).toMatchObject({ port: 8080, databaseUrl: 'postgres://u:p@127.0.0.1/db', nodeRed: false });
  });

  it('names the environment variable of a bad port', () => {
    expect(errorOf(() => loadConfig({ LOOPGATE_PORT: '99999' })).problems[0]).toMatch(/^LOOPGATE_PORT: /);
    expect(errorOf(() => loadConfig({ LOOPGATE_PORT: 'eighty' })).problems[0]).toMatch(/^LOOPGATE_PORT: /);
  });

  it('refuses a database URL that is not PostgreSQL', () => {
    expect(errorOf(() => loadConfig({ LOOPGATE_DATABASE_URL: 'mysql://x' })).problems[0]).toMatch(
      /^LOOPGATE_DATABASE_URL: /,
    );
  });

  it('names the bad field inside the site file', () => {
    const file = siteFile({ targets: [{ instance: 'a', kind: 'sap', connection: {} }] });
    expect(errorOf(() => loadConfig({ LOOPGATE_SITE_FILE: file })).problems[0]).toMatch(/^site\.targets\[0\]\.kind: /);
  });

  it('refuses unknown fields and duplicate instances in the site file', () => {
    const unknown = siteFile({ targets: [{ instance: 'a', kind: 'opcenter', connection: {}, colour: 'red' }] });
    expect(errorOf(() => loadConfig({ LOOPGATE_SITE_FILE: unknown })).problems[0]).toMatch(/colour/);
    const twice = siteFile({ targets: [1, 2].map(() => ({ instance: 'a', kind: 'opcenter', connection: {} })) });
    expect(errorOf(() => loadConfig({ LOOPGATE_SITE_FILE: twice })).problems[0]).toMatch(/configured twice/);
  });

  it('reports a site file that cannot be read', () => {
    expect(errorOf(() => loadConfig({ LOOPGATE_SITE_FILE: '/nonexistent/site.json' })).problems[0]).toMatch(
      /^LOOPGATE_SITE_FILE: cannot read/,
    );
  });
});

describe('processing strategy in the site file', () => {
  const target = (processing: unknown) => ({
    targets: [{ instance: 'ft', kind: 'factorytalk', connection: {}, processing }],
  });

  it('accepts attempts as a number or "unlimited", and outage', () => {
    const config = loadConfig({
      LOOPGATE_SITE_FILE: siteFile(target({ attempts: 'unlimited', outage: 'retry' })),
    });
    expect(config.site.targets[0].processing).toMatchObject({ attempts: 'unlimited', outage: 'retry' });
    const counted = loadConfig({ LOOPGATE_SITE_FILE: siteFile(target({ attempts: 5, maxDelayMs: 10_000 })) });
    expect(counted.site.targets[0].processing).toMatchObject({ attempts: 5, maxDelayMs: 10_000 });
  });

  it('names each bad field', () => {
    const problems = errorOf(() =>
      loadConfig({ LOOPGATE_SITE_FILE: siteFile(target({ attempts: 'forever', outage: 'panic', colour: 1 })) }),
    ).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^site\.targets\[0\]\.processing\.attempts: /),
        expect.stringMatching(/^site\.targets\[0\]\.processing\.outage: /),
        expect.stringMatching(/^site\.targets\[0\]\.processing\.colour: /),
      ]),
    );
  });
});

describe('shared bus', () => {
  it('refuses the Kafka bus on per-process SQLite, naming LOOPGATE_BUS', () => {
    const problems = errorOf(() => loadConfig({ LOOPGATE_BUS: 'kafka', LOOPGATE_KAFKA_BROKERS: 'k:9092' })).problems;
    expect(problems).toEqual([expect.stringMatching(/^LOOPGATE_BUS: kafka needs a database every gateway shares/)]);
  });

  it('refuses the Kafka bus without brokers', () => {
    const problems = errorOf(() =>
      loadConfig({ LOOPGATE_BUS: 'kafka', LOOPGATE_DATABASE_URL: 'postgres://u:p@h/db' }),
    ).problems;
    expect(problems).toEqual([expect.stringMatching(/^LOOPGATE_KAFKA_BROKERS: /)]);
  });

  it('accepts the Kafka bus on a shared PostgreSQL database', () => {
    const env = { LOOPGATE_BUS: 'kafka', LOOPGATE_KAFKA_BROKERS: 'k:9092', LOOPGATE_DATABASE_URL: 'postgres://h/db' };
    expect(loadConfig(env).bus).toBe('kafka');
  });
});

describe('resolveSecrets', () => {
  it('replaces { env: NAME } with the variable and leaves other values alone', () => {
    expect(resolveSecrets({ url: 'http://x', secret: { env: 'S' }, nested: [{ env: 'S' }] }, { S: 'shh' })).toEqual({
      url: 'http://x',
      secret: 'shh',
      nested: ['shh'],
    });
  });

  it('fails naming a missing variable', () => {
    expect(errorOf(() => resolveSecrets({ secret: { env: 'MISSING_SECRET' } }, {})).problems[0]).toMatch(
      /MISSING_SECRET/,
    );
  });
});
