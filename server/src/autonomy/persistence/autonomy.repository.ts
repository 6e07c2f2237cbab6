import { Injectable } from '@nestjs/common';
import type { RowChange } from '../../common/audit.port';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  And,
  IsNull,
  LessThan,
  LessThanOrEqual,
  MoreThanOrEqual,
  Not,
  type DataSource,
  type Repository,
} from 'typeorm';
import { AutonomyDecisionEntity, AutonomyLevelChangeEntity, AutonomyScopeEntity, KpiSampleEntity } from './entities';

export interface DecisionFilter {
  scopeId?: string;
  modelId?: string;
  /** ISO 8601, inclusive. */
  from?: string;
  /** ISO 8601, inclusive. */
  to?: string;
}

/** The only place that reads and writes earned autonomy's tables. */
@Injectable()
export class AutonomyRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(AutonomyScopeEntity) private readonly scopes: Repository<AutonomyScopeEntity>,
    @InjectRepository(AutonomyLevelChangeEntity) private readonly changes: Repository<AutonomyLevelChangeEntity>,
    @InjectRepository(AutonomyDecisionEntity) private readonly decisions: Repository<AutonomyDecisionEntity>,
    @InjectRepository(KpiSampleEntity) private readonly samples: Repository<KpiSampleEntity>,
  ) {}

  listScopes(): Promise<AutonomyScopeEntity[]> {
    return this.scopes.find({ order: { scopeId: 'ASC' } });
  }

  /** Stores a configured scope with its first level, unless it is stored already (the stored level is the truth). */
  async seedScope(scope: AutonomyScopeEntity, change: AutonomyLevelChangeEntity): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      if (await manager.findOneBy(AutonomyScopeEntity, { scopeId: scope.scopeId })) return false;
      await manager.insert(AutonomyScopeEntity, scope);
      await manager.insert(AutonomyLevelChangeEntity, change);
      return true;
    });
  }

  /**
   * A level change as rows the audit writer stores in its record's own transaction: the scope
   * moves from `change.fromLevel` to `change.toLevel` only if it is still at `fromLevel` (else the
   * commit rejects with `conflict()` and nothing is stored, audit record included), with its
   * history row. The level and the record that tells of it never part.
   */
  levelChange(change: AutonomyLevelChangeEntity, conflict: () => Error): RowChange {
    return {
      update: {
        table: 'autonomy_scopes',
        where: { scope_id: change.scopeId, level: change.fromLevel },
        set: { level: change.toLevel, changed_at: change.at, changed_by: change.actor },
      },
      insert: [
        {
          table: 'autonomy_level_changes',
          row: {
            id: change.id,
            scope_id: change.scopeId,
            from_level: change.fromLevel,
            to_level: change.toLevel,
            kind: change.kind,
            actor: change.actor,
            at: change.at,
            reason: change.reason,
            evidence_json: change.evidenceJson,
            evidence_hash: change.evidenceHash,
            signature_json: change.signatureJson,
            figures_json: change.figuresJson,
          },
        },
      ],
      conflict,
    };
  }

  levelChanges(scopeId?: string, limit = 200): Promise<AutonomyLevelChangeEntity[]> {
    return this.changes.find({ where: scopeId ? { scopeId } : {}, order: { at: 'DESC', id: 'DESC' }, take: limit });
  }

  findDecision(commandId: string): Promise<AutonomyDecisionEntity | null> {
    return this.decisions.findOneBy({ commandId });
  }

  async saveDecision(decision: AutonomyDecisionEntity): Promise<void> {
    await this.decisions.save(decision);
  }

  /** Decisions in a period, oldest first. */
  listDecisions(filter: DecisionFilter, limit = 100_000): Promise<AutonomyDecisionEntity[]> {
    const range =
      filter.from && filter.to
        ? And(MoreThanOrEqual(filter.from), LessThanOrEqual(filter.to))
        : filter.from
          ? MoreThanOrEqual(filter.from)
          : filter.to
            ? LessThanOrEqual(filter.to)
            : undefined;
    return this.decisions.find({
      where: {
        ...(filter.scopeId !== undefined ? { scopeId: filter.scopeId } : {}),
        ...(filter.modelId !== undefined ? { modelId: filter.modelId } : {}),
        ...(range ? { receivedAt: range } : {}),
      },
      order: { receivedAt: 'ASC', commandId: 'ASC' },
      take: limit,
    });
  }

  /** The newest decisions, of one scope or all. */
  recentDecisions(scopeId: string | undefined, limit: number): Promise<AutonomyDecisionEntity[]> {
    return this.decisions.find({
      where: scopeId !== undefined ? { scopeId } : {},
      order: { receivedAt: 'DESC', commandId: 'DESC' },
      take: limit,
    });
  }

  /** Applied decisions with an effect check not yet judged. */
  effectsToJudge(limit = 500): Promise<AutonomyDecisionEntity[]> {
    return this.decisions.find({
      where: { effectCheckJson: Not(IsNull()), effectVerdict: IsNull(), appliedAt: Not(IsNull()) },
      order: { appliedAt: 'ASC' },
      take: limit,
    });
  }

  async insertSample(sample: KpiSampleEntity): Promise<void> {
    await this.samples.insert(sample);
  }

  /** Forgets the samples taken before `before` (ISO 8601); returns how many. */
  async pruneSamples(before: string): Promise<number> {
    const result = await this.samples.delete({ at: LessThan(before) });
    return result.affected ?? 0;
  }

  /** Samples of `kpi` in `[from, to]` (ISO 8601), oldest first. */
  samplesOf(kpi: string, from: string, to: string): Promise<KpiSampleEntity[]> {
    return this.samples.find({
      where: { kpi, at: And(MoreThanOrEqual(from), LessThanOrEqual(to)) },
      order: { at: 'ASC' },
      take: 100_000,
    });
  }

  /** The facts each rule evaluation saw, by inference id (the rule registry's decision log). */
  async factsByInference(inferenceIds: string[]): Promise<Map<string, string>> {
    const facts = new Map<string, string>();
    for (let i = 0; i < inferenceIds.length; i += 500) {
      const chunk = inferenceIds.slice(i, i + 500);
      const rows = (await this.dataSource
        .createQueryBuilder()
        .select(['d.inference_id AS inference_id', 'd.facts_json AS facts_json'])
        .from('rule_decisions', 'd')
        .where('d.inference_id IN (:...ids)', { ids: chunk })
        .getRawMany()) as { inference_id: string; facts_json: string }[];
      for (const row of rows) facts.set(row.inference_id, row.facts_json);
    }
    return facts;
  }
}
