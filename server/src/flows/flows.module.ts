import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { FlowVersionsController } from './api/flow-versions.controller';
import { FlowVersionEntity } from './persistence/flow-version.entity';
import { FlowVersionsRepository } from './persistence/flow-versions.repository';
import { FlowVersionsService } from './services/flow-versions.service';

/**
 * Flow change control (issue 12): flow versions under the two-person rule, deployed to the
 * Node-RED process when signed. Signatures come from SIGNATURE_SERVICE, records go to AUDIT_WRITER.
 */
@Module({
  imports: [TypeOrmModule.forFeature([FlowVersionEntity])],
  controllers: [FlowVersionsController],
  providers: [FlowVersionsRepository, FlowVersionsService],
  exports: [FlowVersionsService],
})
export class FlowsModule {}
