import * as os from 'node:os';
import { Global, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { AUDIT_WRITER } from '../../common/audit.port';
import { loadConfig, type LoopgateConfig } from '../../config/config';
import { ConfigModule } from '../../config/config.module';
import { dataSourceOptions } from '../../database/data-source';
import { AuthModule } from '../auth.module';
import { RecordingAuditWriter } from './recording-audit';

@Global()
@Module({})
class RecordingAuditModule {
  static with(writer: RecordingAuditWriter): DynamicModule {
    return {
      module: RecordingAuditModule,
      providers: [{ provide: AUDIT_WRITER, useValue: writer }],
      exports: [AUDIT_WRITER],
    };
  }
}

/**
 * The auth module over an in-memory SQLite database (migrated) with a recording audit writer,
 * for tests of the auth services without HTTP.
 */
export async function createAuthContext(
  overrides: Partial<LoopgateConfig> = {},
): Promise<{ context: INestApplicationContext; audit: RecordingAuditWriter; config: LoopgateConfig }> {
  const config = loadConfig({}, { nodeRed: false, ...overrides });
  const audit = new RecordingAuditWriter();
  const context = await NestFactory.createApplicationContext(
    {
      module: class AuthTestModule {},
      imports: [
        ConfigModule.forConfig(config),
        TypeOrmModule.forRoot({
          ...(dataSourceOptions({ dataDir: os.tmpdir() }) as Extract<DataSourceOptions, { type: 'better-sqlite3' }>),
          database: ':memory:',
          autoLoadEntities: true,
        }),
        RecordingAuditModule.with(audit),
        AuthModule,
      ],
    },
    { logger: false },
  );
  return { context, audit, config };
}
