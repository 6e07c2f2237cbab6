/**
 * A real gateway (the application's own AppModule, started by `startGateway`) on a free port
 * with a fresh SQLite database, for the security tests: route permissions, input fuzzing, HTTP auth.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { API_PREFIX, type LoginResponse, type Role } from '@loopgate/contracts';
import { DataSource } from 'typeorm';
import { startGateway, type Gateway } from '../../server/src/app';
import { AppModule } from '../../server/src/app.module';
import { RecordingAuditWriter } from '../../server/src/auth/testing/recording-audit';
import { AUDIT_WRITER } from '../../server/src/common/audit.port';
import { loadConfig, type LoopgateConfig } from '../../server/src/config/config';

export const ADMIN_PASSWORD = 'admin password for tests';
export const USER_PASSWORD = 'user password for tests';

type ModuleRef = NonNullable<DynamicModule['imports']>[number];

/** True when some module reachable from `root` provides `token`. */
function provides(root: ModuleRef, token: unknown, seen = new Set<unknown>()): boolean {
  if (!root || seen.has(root) || typeof (root as Promise<unknown>).then === 'function') return false;
  seen.add(root);
  const dynamic = (root as DynamicModule).module ? (root as DynamicModule) : undefined;
  const moduleClass = dynamic ? dynamic.module : root;
  const providers = [
    ...(Reflect.getMetadata(MODULE_METADATA.PROVIDERS, moduleClass) ?? []),
    ...(dynamic?.providers ?? []),
  ] as { provide?: unknown }[];
  if (providers.some((p) => p === token || p?.provide === token)) return true;
  const imports = [
    ...(Reflect.getMetadata(MODULE_METADATA.IMPORTS, moduleClass) ?? []),
    ...(dynamic?.imports ?? []),
  ] as ModuleRef[];
  return imports.some((m) =>
    provides(
      typeof m === 'object' && m && 'forwardRef' in m ? (m as { forwardRef: () => ModuleRef }).forwardRef() : m,
      token,
      seen,
    ),
  );
}

@Global()
@Module({})
class StandInAuditModule {}

/**
 * Until the gateway's audit module provides AUDIT_WRITER, a recording writer stands in, so the
 * security tests run against every other real module. Nest aborts the process on a missing
 * provider, so this is decided before start, by reading the module graph.
 */
function ensureAuditWriter(config: LoopgateConfig): RecordingAuditWriter | undefined {
  if (provides(AppModule.forConfig(config), AUDIT_WRITER)) return undefined;
  const writer = new RecordingAuditWriter();
  const original = AppModule.forConfig.bind(AppModule);
  AppModule.forConfig = (c: LoopgateConfig) => {
    const module = original(c);
    const standIn: DynamicModule = {
      module: StandInAuditModule,
      global: true,
      providers: [{ provide: AUDIT_WRITER, useValue: writer }],
      exports: [AUDIT_WRITER],
    };
    return { ...module, imports: [...(module.imports ?? []), standIn] };
  };
  return writer;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Raw body text, sent as is. */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export class TestGateway {
  private adminToken?: string;
  private readonly roleTokens = new Map<string, string>();

  constructor(
    readonly gateway: Gateway,
    readonly dataDir: string,
    /** The recording writer standing in for AUDIT_WRITER, when the app provides none. */
    readonly standInAudit?: RecordingAuditWriter,
  ) {}

  get url(): string {
    return this.gateway.url;
  }

  async request(method: string, pathAndQuery: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.text !== undefined) body = options.text;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    return fetch(`${this.url}${pathAndQuery}`, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
  }

  async login(username: string, password: string): Promise<LoginResponse> {
    const response = await this.request('POST', `${API_PREFIX}/auth/login`, { body: { username, password } });
    if (response.status !== 200)
      throw new Error(`login of ${username} failed: ${response.status} ${await response.text()}`);
    return (await response.json()) as LoginResponse;
  }

  async admin(): Promise<string> {
    this.adminToken ??= (await this.login('admin', ADMIN_PASSWORD)).token;
    return this.adminToken;
  }

  /** A session token of a user holding exactly `roles`, created once. */
  async tokenFor(...roles: Role[]): Promise<string> {
    const username = `u-${roles.join('-')}`;
    const known = this.roleTokens.get(username);
    if (known) return known;
    const created = await this.request('POST', `${API_PREFIX}/users`, {
      token: await this.admin(),
      body: { username, roles, password: USER_PASSWORD },
    });
    if (created.status !== 201)
      throw new Error(`creating ${username} failed: ${created.status} ${await created.text()}`);
    const token = (await this.login(username, USER_PASSWORD)).token;
    this.roleTokens.set(username, token);
    return token;
  }

  async serviceToken(name = 'runtime'): Promise<string> {
    const created = await this.request('POST', `${API_PREFIX}/tokens`, { token: await this.admin(), body: { name } });
    return ((await created.json()) as { token: string }).token;
  }

  /** Row count of every table: what the fuzz test compares to prove nothing was stored. */
  async rowCounts(): Promise<Record<string, number>> {
    const dataSource = this.gateway.app.get(DataSource);
    const tables = (await dataSource.query(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
    )) as { name: string }[];
    const counts: Record<string, number> = {};
    for (const { name } of tables)
      counts[name] = Number(((await dataSource.query(`SELECT COUNT(*) AS n FROM "${name}"`)) as { n: number }[])[0].n);
    return counts;
  }

  async close(): Promise<void> {
    await this.gateway.close();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function startTestGateway(overrides: Partial<LoopgateConfig> = {}): Promise<TestGateway> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-security-'));
  const config = loadConfig(
    {},
    {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      nodeRed: false,
      logLevel: 'error',
      adminPassword: ADMIN_PASSWORD,
      ...overrides,
    },
  );
  const standInAudit = ensureAuditWriter(config);
  const gateway = await startGateway(config);
  return new TestGateway(gateway, dataDir, standInAudit);
}
