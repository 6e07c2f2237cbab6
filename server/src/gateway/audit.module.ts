import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { Registry } from 'prom-client';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AUDIT_WRITER } from '../common/audit.port';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../config/config';
import { AuditController } from './api/audit.controller';
import { GATEWAY_ENTITIES } from './persistence/entities';
import { AuditRepository } from './persistence/audit.repository';
import { TypeOrmGatewayStore } from './persistence/gateway-store';
import { WalCheckpointer } from './persistence/wal-checkpointer';
import { AUDIT_KEY, AuditAnchor, loadAuditKey } from './services/audit-anchor.service';
import { AuditService, AuditWriterService } from './services/audit.service';
import { GATEWAY_STORE } from './services/tokens';

/** SQLite WAL checkpoints in a worker thread (their fsync never stalls dispatch), bounded in size, with a metric. */
@Injectable()
export class StoreMaintenance implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('GatewayStore');
  private readonly checkpointer: WalCheckpointer;

  constructor(
    dataSource: DataSource,
    @Inject(GATEWAY_STORE) private readonly store: TypeOrmGatewayStore,
    @Optional() registry?: Registry,
  ) {
    this.checkpointer = new WalCheckpointer(dataSource, (message) => this.logger.warn(message), { registry });
  }

  onModuleInit(): void {
    this.checkpointer.start();
  }

  /** Waits for pending commits, then stops the checkpointer and the store's own session; safe to call twice. */
  async close(): Promise<void> {
    await this.store.drain();
    await this.store.close();
    await this.checkpointer.stop();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

/**
 * The hash-chained audit trail and the store it shares with the gateway. Global, so any module
 * (auth for sign-ins, rules for approvals) can `@Inject(AUDIT_WRITER)`.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature(GATEWAY_ENTITIES)],
  controllers: [AuditController],
  providers: [
    {
      provide: GATEWAY_STORE,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new TypeOrmGatewayStore(dataSource),
    },
    { provide: AUDIT_WRITER, useClass: AuditWriterService },
    {
      provide: AUDIT_KEY,
      inject: [LOOPGATE_CONFIG],
      useFactory: (config: LoopgateConfig) => loadAuditKey(config, (m) => new Logger('AuditAnchor').warn(m)),
    },
    AuditRepository,
    AuditAnchor,
    AuditService,
    StoreMaintenance,
  ],
  exports: [GATEWAY_STORE, AUDIT_WRITER, AuditService, AuditAnchor, AuditRepository, StoreMaintenance],
})
export class AuditModule {}
