import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module';
import { AutonomyModule } from './autonomy/autonomy.module';
import { ClockModule } from './common/clock';
import type { LoopgateConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions } from './database/data-source';
import { DeploymentsModule } from './deployments/deployments.module';
import { FlowsModule } from './flows/flows.module';
import { AuditModule } from './gateway/audit.module';
import { GatewayModule } from './gateway/gateway.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { RulesModule } from './rules/rules.module';

/** The gateway's feature modules, one per concern (commands, audit, targets, rules, auth, ...). */
const FEATURE_MODULES: NonNullable<DynamicModule['imports']> = [
  AuthModule,
  DeploymentsModule,
  AuditModule,
  GatewayModule,
  RulesModule,
  AutonomyModule,
  FlowsModule,
];

@Module({})
export class AppModule {
  static forConfig(config: LoopgateConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forConfig(config),
        TypeOrmModule.forRoot({ ...dataSourceOptions(config), autoLoadEntities: true }),
        ClockModule,
        MetricsModule,
        HealthModule,
        ...FEATURE_MODULES,
      ],
    };
  }
}
