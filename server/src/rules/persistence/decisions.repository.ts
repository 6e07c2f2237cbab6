import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { And, LessThan, MoreThan, MoreThanOrEqual, type FindOptionsWhere, type Repository } from 'typeorm';
import { RuleDecisionEntity } from './entities';

/** The only place that reads and writes `rule_decisions`. */
@Injectable()
export class DecisionsRepository {
  constructor(@InjectRepository(RuleDecisionEntity) private readonly decisions: Repository<RuleDecisionEntity>) {}

  async insert(decision: RuleDecisionEntity): Promise<void> {
    await this.decisions.insert(decision);
  }

  /**
   * Decisions of one rule set in `[from, to)`, oldest first, one page at a time: `after` is the
   * last row of the previous page (keyset paging on time, then id).
   */
  window(
    ruleSetId: string,
    from: string,
    to: string,
    limit: number,
    after?: Pick<RuleDecisionEntity, 'decidedAt' | 'id'>,
  ): Promise<RuleDecisionEntity[]> {
    const where: FindOptionsWhere<RuleDecisionEntity>[] = after
      ? [
          { ruleSetId, decidedAt: after.decidedAt, id: MoreThan(after.id) },
          { ruleSetId, decidedAt: And(MoreThan(after.decidedAt), LessThan(to)) },
        ]
      : [{ ruleSetId, decidedAt: And(MoreThanOrEqual(from), LessThan(to)) }];
    return this.decisions.find({ where, order: { decidedAt: 'ASC', id: 'ASC' }, take: limit });
  }

  /** The newest decisions, optionally of one rule set. */
  newest(limit: number, ruleSetId?: string): Promise<RuleDecisionEntity[]> {
    return this.decisions.find({
      where: ruleSetId ? { ruleSetId } : {},
      order: { decidedAt: 'DESC', id: 'DESC' },
      take: limit,
    });
  }
}
