import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { RuleSetDraftEntity } from './entities';

/** The only place that reads and writes `rule_set_drafts`. */
@Injectable()
export class RuleSetDraftsRepository {
  constructor(@InjectRepository(RuleSetDraftEntity) private readonly drafts: Repository<RuleSetDraftEntity>) {}

  find(ruleSetId: string): Promise<RuleSetDraftEntity | null> {
    return this.drafts.findOneBy({ ruleSetId });
  }

  async save(draft: RuleSetDraftEntity): Promise<void> {
    await this.drafts.save(draft);
  }

  /** Returns whether there was a draft. */
  async remove(ruleSetId: string): Promise<boolean> {
    const result = await this.drafts.delete({ ruleSetId });
    return (result.affected ?? 0) > 0;
  }

  allHeaders(): Promise<Pick<RuleSetDraftEntity, 'ruleSetId' | 'name'>[]> {
    return this.drafts.find({ select: { ruleSetId: true, name: true }, order: { ruleSetId: 'ASC' } });
  }
}
