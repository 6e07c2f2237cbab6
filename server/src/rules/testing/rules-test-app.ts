import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { API_PREFIX, type WriteBackAction } from '@loopgate/contracts';
import { DataSource } from 'typeorm';
import { configureApi } from '../../common/api-setup';
import { LoopgateConfig, SiteConfig, type TargetInstanceConfig } from '../../config/config';
import { ConfigModule } from '../../config/config.module';
import { dataSourceOptions } from '../../database/data-source';
import { HealthModule } from '../../health/health.module';
import { MetricsModule } from '../../metrics/metrics.module';
import { AuditModule } from '../../gateway/audit.module';
import { GatewayModule } from '../../gateway/gateway.module';
import { TARGET_ADAPTER_FACTORY } from '../../gateway/services/tokens';
import { FakeTarget } from '../../gateway/testing/fake-target';
import { FakeSignatureService, TestAuthModule } from '../../gateway/testing/test-auth';
import { RulesModule } from '../rules.module';

export interface RulesTestApp {
  app: INestApplication;
  dataSource: DataSource;
  signatures: FakeSignatureService;
  /** fetch against the API with `Authorization: Test <who>` (e.g. `erin:engineer`, `token:line1`). */
  call(method: string, apiPath: string, options?: { as?: string; body?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The rules module with the gateway it reads target capabilities from, on SQLite in a temporary
 * folder (migrated, never synchronized), a test principal guard and a fake signature service,
 * set up like `startGateway` (prefix, body limit, validation pipe, error filter).
 */
export async function createRulesTestApp(targetActions: readonly WriteBackAction[]): Promise<RulesTestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-rules-'));
  const fake = new FakeTarget({ instance: 'opc-1', capabilities: { actions: [...targetActions] } });
  const site = Object.assign(new SiteConfig(), { targets: [{ instance: 'opc-1', kind: fake.kind, connection: {} }] });
  const config = Object.assign(new LoopgateConfig(), { dataDir, nodeRed: false, site });
  const signatures = new FakeSignatureService(() => ['engineer']);
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forConfig(config),
      TypeOrmModule.forRoot({ ...dataSourceOptions(config), autoLoadEntities: true }),
      MetricsModule,
      HealthModule,
      TestAuthModule.with(signatures),
      AuditModule,
      GatewayModule,
      RulesModule,
    ],
  })
    .overrideProvider(TARGET_ADAPTER_FACTORY)
    .useValue((_target: TargetInstanceConfig) => fake.connect())
    .compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
  configureApi(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const base = `http://127.0.0.1:${port}${API_PREFIX}`;
  return {
    app,
    dataSource: app.get(DataSource),
    signatures,
    call(method, apiPath, options = {}) {
      const headers: Record<string, string> = {};
      if (options.as) headers.authorization = `Test ${options.as}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      return fetch(`${base}${apiPath}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    },
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
