import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { WriteBackEngine } from '../gateway/engine/writeback-engine';
import { GatewayModule } from '../gateway/gateway.module';
import { WRITEBACK_ENGINE } from '../gateway/services/tokens';
import { DecisionsController } from './api/decisions.controller';
import { RuleSetsController } from './api/rule-sets.controller';
import { RULE_ENTITIES } from './persistence/entities';
import { DecisionsRepository } from './persistence/decisions.repository';
import { RuleSetDraftsRepository } from './persistence/rule-set-drafts.repository';
import { RuleSetVersionsRepository } from './persistence/rule-set-versions.repository';
import { DecisionLog } from './services/decisions.service';
import { RuleEvaluation } from './services/evaluation.service';
import { RuleSetRegistry } from './services/registry.service';
import { WhatIfReplay } from './services/replay.service';
import { SUPPORTED_ACTIONS, supportedActionsOf } from './services/tokens';
import { RuleSetPublications } from './services/rule-set-publications.service';

/**
 * The rule registry (issue 6): drafts, immutable versions under the two-person rule, diff,
 * rollback, rules/sets import and export, evaluation with the compiled evaluator, the decision
 * log and what-if replay. Approvals are signed (SIGNATURE_SERVICE) and audited (AUDIT_WRITER).
 */
@Module({
  imports: [TypeOrmModule.forFeature(RULE_ENTITIES), GatewayModule],
  controllers: [RuleSetsController, DecisionsController],
  providers: [
    RuleSetVersionsRepository,
    RuleSetDraftsRepository,
    DecisionsRepository,
    {
      provide: SUPPORTED_ACTIONS,
      inject: [WRITEBACK_ENGINE],
      useFactory: (engine: WriteBackEngine) => supportedActionsOf(engine),
    },
    RuleSetRegistry,
    RuleEvaluation,
    DecisionLog,
    WhatIfReplay,
    RuleSetPublications,
  ],
  exports: [RuleEvaluation],
})
export class RulesModule {}
