import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { DecisionRecord } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import type { Principal } from '../../auth/principal';
import { OutcomeStream } from '../../gateway/services/outcome-stream';
import { DecisionsRepository } from '../persistence/decisions.repository';
import { RuleSetVersionsRepository } from '../persistence/rule-set-versions.repository';
import { toDecisionRecord } from './mappers';

/**
 * Keeps the facts each decision in a flow was made from, for what-if replay, and announces the
 * decisions that fired on the outcome stream (the console's live view).
 */
@Injectable()
export class DecisionLog {
  constructor(
    private readonly decisions: DecisionsRepository,
    private readonly versions: RuleSetVersionsRepository,
    private readonly stream: OutcomeStream,
  ) {}

  async record(decision: DecisionRecord, recordedBy: Principal): Promise<{ id: string }> {
    if (!(await this.versions.find(decision.ruleSetId, decision.ruleSetVersion))) {
      throw new UserError(
        'UNKNOWN_RULE_SET_VERSION',
        `rule set ${decision.ruleSetId} has no version ${decision.ruleSetVersion}`,
        422,
        [{ code: 'UNKNOWN_RULE_SET_VERSION', path: '$.ruleSetVersion', message: 'not a version of this rule set' }],
      );
    }
    const entity = {
      id: randomUUID(),
      ruleSetId: decision.ruleSetId,
      ruleSetVersion: decision.ruleSetVersion,
      // One format for every stored time, so windows compare as text.
      decidedAt: new Date(decision.time).toISOString(),
      factsJson: JSON.stringify(decision.facts),
      firedEventsJson: JSON.stringify(decision.firedEvents),
      flowId: decision.flowId ?? null,
      nodeId: decision.nodeId ?? null,
      inferenceId: decision.inferenceId ?? null,
      recordedBy: recordedBy.id,
      recordedAt: new Date().toISOString(),
    };
    await this.decisions.insert(entity);
    if (decision.firedEvents.length > 0) this.stream.publish({ type: 'decision', decision: toDecisionRecord(entity) });
    return { id: entity.id };
  }

  async newest(limit: number, ruleSetId?: string): Promise<(DecisionRecord & { id: string })[]> {
    return (await this.decisions.newest(limit, ruleSetId)).map(toDecisionRecord);
  }
}
