import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { API_PREFIX, type Role } from '@loopgate/contracts';
import { DataSource } from 'typeorm';
import { configureApi } from '../../common/api-setup';
import { LoopgateConfig, SiteConfig, type TargetInstanceConfig } from '../../config/config';
import { ConfigModule } from '../../config/config.module';
import { dataSourceOptions } from '../../database/data-source';
import { HealthModule } from '../../health/health.module';
import { MetricsModule } from '../../metrics/metrics.module';
import { AuditModule } from '../audit.module';
import { GatewayModule } from '../gateway.module';
import { MES_EVENT_MIRROR_OPTIONS, type MesEventMirrorOptions } from '../services/mes-event-mirror.service';
import { TARGET_ADAPTER_FACTORY } from '../services/tokens';
import type { TargetAdapter } from '../../targets/adapter';
import type { FakeTarget } from './fake-target';
import { FakeSignatureService, TestAuthModule } from './test-auth';

export interface GatewayTestApp {
  app: INestApplication;
  url: string;
  dataDir: string;
  dataSource: DataSource;
  signatures: FakeSignatureService;
  /** fetch against the API with `Authorization: Test <who>`. */
  call(method: string, apiPath: string, options?: { as?: string; body?: unknown; raw?: string }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The gateway's modules on SQLite in a temporary folder, fake targets, a test principal guard and
 * a fake signature service, set up like `startGateway` (prefix, body limits, validation, errors).
 */
export async function createGatewayTestApp(
  targets: (Omit<TargetInstanceConfig, 'kind' | 'connection'> & ({ fake: FakeTarget } | { adapter: TargetAdapter }))[],
  settings: Partial<
    Pick<LoopgateConfig, 'databaseUrl' | 'auditCheckpointRecords' | 'auditCheckpointSeconds' | 'auditKey'>
  > & { mirror?: Partial<MesEventMirrorOptions>; dataDir?: string } = {},
): Promise<GatewayTestApp> {
  const { mirror, dataDir: givenDir, ...rest } = settings;
  const dataDir = givenDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-gateway-'));
  const connect = (t: (typeof targets)[number]): TargetAdapter => ('fake' in t ? t.fake.connect() : t.adapter);
  const site = Object.assign(new SiteConfig(), {
    targets: targets.map((t) => {
      const { instance, guardrails, approvals, shadow, processing, eventLog } = t;
      const kind = 'fake' in t ? t.fake.kind : t.adapter.kind;
      return { instance, guardrails, approvals, shadow, processing, eventLog, kind, connection: {} };
    }),
  });
  const config = Object.assign(new LoopgateConfig(), { dataDir, nodeRed: false, site, ...rest });
  const adapters = new Map(targets.map((t) => [t.instance, t]));
  const signatures = new FakeSignatureService((username) => ROLE_OF_TEST_USER[username] ?? []);
  let moduleRef;
  try {
    moduleRef = await compileGatewayModule(config, (instance) => connect(adapters.get(instance)!), signatures, mirror);
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
  configureApi(app);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    dataDir,
    dataSource: app.get(DataSource),
    signatures,
    call(method, apiPath, options = {}) {
      const base = apiPath.startsWith('/health') || apiPath.startsWith('/metrics') ? url : `${url}${API_PREFIX}`;
      const headers: Record<string, string> = {};
      if (options.as) headers.authorization = `Test ${options.as}`;
      let body: string | undefined;
      if (options.raw !== undefined || options.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = options.raw ?? JSON.stringify(options.body);
      }
      return fetch(`${base}${apiPath}`, { method, headers, body });
    },
    async close() {
      await app.close();
      if (!givenDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function compileGatewayModule(
  config: LoopgateConfig,
  connect: (instance: string) => TargetAdapter,
  signatures: FakeSignatureService,
  mirror: Partial<MesEventMirrorOptions> = {},
) {
  return Test.createTestingModule({
    imports: [
      ConfigModule.forConfig(config),
      TypeOrmModule.forRoot({ ...dataSourceOptions(config), autoLoadEntities: true }),
      MetricsModule,
      HealthModule,
      TestAuthModule.with(signatures),
      AuditModule,
      GatewayModule,
    ],
  })
    .setLogger({ log: () => undefined, error: () => undefined, warn: () => undefined })
    .overrideProvider(TARGET_ADAPTER_FACTORY)
    .useValue((target: TargetInstanceConfig) => connect(target.instance))
    .overrideProvider(MES_EVENT_MIRROR_OPTIONS)
    .useValue(mirror)
    .compile();
}

/** Test users: `<name>:<roles>` in the Authorization header; the signer's roles come from here. */
export const ROLE_OF_TEST_USER: Record<string, Role[]> = {
  olivia: ['operator'],
  oscar: ['operator'],
  quinn: ['qa'],
  vera: ['viewer'],
  ada: ['admin'],
};
