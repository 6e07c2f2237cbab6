/** The gateway's modules with earned autonomy on a chosen database, fake targets and an injected clock. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { API_PREFIX } from '@loopgate/contracts';
import { AutonomyModule } from '../../server/src/autonomy/autonomy.module';
import { AutonomyService } from '../../server/src/autonomy/autonomy.service';
import { configureApi } from '../../server/src/common/api-setup';
import { CLOCK, ClockModule, type Clock } from '../../server/src/common/clock';
import { LoopgateConfig, SiteConfig, type TargetInstanceConfig } from '../../server/src/config/config';
import { ConfigModule } from '../../server/src/config/config.module';
import { dataSourceOptions } from '../../server/src/database/data-source';
import { AuditModule } from '../../server/src/gateway/audit.module';
import { GatewayModule } from '../../server/src/gateway/gateway.module';
import { HealthModule } from '../../server/src/health/health.module';
import { MetricsModule } from '../../server/src/metrics/metrics.module';
import { TARGET_ADAPTER_FACTORY } from '../../server/src/gateway/services/tokens';
import type { FakeTarget } from '../../server/src/gateway/testing/fake-target';
import { FakeSignatureService, TestAuthModule } from '../../server/src/gateway/testing/test-auth';
import { ROLE_OF_TEST_USER } from '../../server/src/gateway/testing/api-app';
import type { TestDatabase } from '../support/databases';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private at: number) {}
  now(): number {
    return this.at;
  }
  advance(ms: number): void {
    this.at += ms;
  }
}

export interface PilotApp {
  app: INestApplication;
  url: string;
  clock: ManualClock;
  signatures: FakeSignatureService;
  autonomy: AutonomyService;
  call(method: string, apiPath: string, options?: { as?: string; body?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function createPilotApp(
  db: TestDatabase,
  fake: FakeTarget,
  autonomy: Record<string, unknown>,
  start: number,
): Promise<PilotApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-autonomy-'));
  const site = Object.assign(new SiteConfig(), {
    targets: [{ instance: fake.instance, kind: fake.kind, connection: {} }],
    autonomy,
  });
  const config = Object.assign(new LoopgateConfig(), {
    dataDir,
    nodeRed: false,
    site,
    ...(db.kind === 'postgres' ? { databaseUrl: db.location } : {}),
  });
  const clock = new ManualClock(start);
  const signatures = new FakeSignatureService((username) => ROLE_OF_TEST_USER[username] ?? []);
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forConfig(config),
      TypeOrmModule.forRoot({ ...dataSourceOptions(config), autoLoadEntities: true }),
      ClockModule,
      MetricsModule,
      HealthModule,
      TestAuthModule.with(signatures),
      AuditModule,
      GatewayModule,
      AutonomyModule,
    ],
  })
    .setLogger({ log: () => undefined, error: (m: unknown) => console.error(m), warn: () => undefined })
    .overrideProvider(TARGET_ADAPTER_FACTORY)
    .useValue((_target: TargetInstanceConfig) => fake.connect())
    .overrideProvider(CLOCK)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: false });
  configureApi(app);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    clock,
    signatures,
    autonomy: app.get(AutonomyService),
    call(method, apiPath, options = {}) {
      const base = apiPath.startsWith('/metrics') ? url : `${url}${API_PREFIX}`;
      const headers: Record<string, string> = {};
      if (options.as) headers.authorization = `Test ${options.as}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.body);
      }
      return fetch(`${base}${apiPath}`, { method, headers, body });
    },
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `read` until `done` holds (an observable event), failing after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
