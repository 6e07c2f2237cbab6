import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GatewayModule } from '../gateway/gateway.module';
import { AutonomyController } from './api/autonomy.controller';
import { AutonomyMetrics } from './autonomy-metrics';
import { AutonomyReports } from './autonomy-reports.service';
import { AutonomyService } from './autonomy.service';
import { AUTONOMY_ENTITIES } from './persistence/entities';
import { AutonomyRepository } from './persistence/autonomy.repository';

/**
 * Earned autonomy: levels per scope judged in intake (through the engine's autonomy port), promotion
 * on signed evidence, demotion by itself, effect checks, feedback, scorecards, training-data export.
 */
@Module({
  imports: [TypeOrmModule.forFeature(AUTONOMY_ENTITIES), GatewayModule],
  controllers: [AutonomyController],
  providers: [AutonomyRepository, AutonomyMetrics, AutonomyService, AutonomyReports],
  exports: [AutonomyService],
})
export class AutonomyModule {}
