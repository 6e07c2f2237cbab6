import type { AuditOutcome, AuditRecord } from '@loopgate/contracts';
import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, type Repository, type SelectQueryBuilder } from 'typeorm';
import { AuditChainHeadEntity, AuditRecordEntity } from './entities';
import { rowToAudit } from './row-mappers';

export interface AuditFilter {
  from?: string;
  to?: string;
  target?: string;
  object?: string;
  outcome?: AuditOutcome;
  inferenceId?: string;
  commandId?: string;
  actor?: string;
  /** Free text over command id, parameter, reason code and message. */
  q?: string;
}

/** Reads of the append-only audit table. Nothing here updates or deletes. */
@Injectable()
export class AuditRepository {
  private readonly records: Repository<AuditRecordEntity>;
  private readonly head: Repository<AuditChainHeadEntity>;

  constructor(dataSource: DataSource) {
    this.records = dataSource.getRepository(AuditRecordEntity);
    this.head = dataSource.getRepository(AuditChainHeadEntity);
  }

  /** Newest first; `before` is a sequence number from the previous page. */
  async page(
    filter: AuditFilter,
    limit: number,
    before?: number,
  ): Promise<{ records: AuditRecord[]; nextBefore?: number }> {
    const query = this.filtered(filter);
    if (before !== undefined) query.andWhere('a.sequence < :before', { before });
    const rows = await query
      .orderBy('a.sequence', 'DESC')
      .take(limit + 1)
      .getMany();
    const records = rows.slice(0, limit).map((row) => rowToAudit(row as unknown as Record<string, unknown>));
    return rows.length > limit ? { records, nextBefore: records[records.length - 1].sequence } : { records };
  }

  /** Oldest first, `size` records at a time, for verification and export of any length. */
  async *ascending(filter: AuditFilter = {}, size = 1000): AsyncGenerator<AuditRecord[]> {
    let after = 0;
    for (;;) {
      const rows = await this.filtered(filter)
        .andWhere('a.sequence > :after', { after })
        .orderBy('a.sequence', 'ASC')
        .take(size)
        .getMany();
      if (rows.length === 0) return;
      const records = rows.map((row) => rowToAudit(row as unknown as Record<string, unknown>));
      yield records;
      after = records[records.length - 1].sequence;
      if (rows.length < size) return;
    }
  }

  /** The records of `target` with one of `outcomes` after `after`, oldest first: what its MES event log has not yet received. */
  async forTarget(target: string, outcomes: readonly string[], after: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.records
      .createQueryBuilder('a')
      .where('a.targetInstance = :target', { target })
      .andWhere('a.sequence > :after', { after })
      .andWhere('a.outcome IN (:...outcomes)', { outcomes })
      .orderBy('a.sequence', 'ASC')
      .take(limit)
      .getMany();
    return rows.map((row) => rowToAudit(row as unknown as Record<string, unknown>));
  }

  /** How many such records there are (for the mirror's backlog). */
  countForTarget(target: string, outcomes: readonly string[], after: number): Promise<number> {
    return this.records
      .createQueryBuilder('a')
      .where('a.targetInstance = :target', { target })
      .andWhere('a.sequence > :after', { after })
      .andWhere('a.outcome IN (:...outcomes)', { outcomes })
      .getCount();
  }

  async chainHead(): Promise<{ sequence: number; hash: string }> {
    const head = await this.head.findOneByOrFail({ id: 1 });
    return { sequence: Number(head.sequence), hash: head.hash };
  }

  private filtered(filter: AuditFilter): SelectQueryBuilder<AuditRecordEntity> {
    const query = this.records.createQueryBuilder('a');
    if (filter.from) query.andWhere('a.time >= :from', { from: new Date(filter.from).toISOString() });
    if (filter.to) query.andWhere('a.time < :to', { to: new Date(filter.to).toISOString() });
    if (filter.target) query.andWhere('a.targetInstance = :target', { target: filter.target });
    if (filter.object) query.andWhere('a.objectId = :object', { object: filter.object });
    if (filter.outcome) query.andWhere('a.outcome = :outcome', { outcome: filter.outcome });
    if (filter.inferenceId) query.andWhere('a.inferenceId = :inferenceId', { inferenceId: filter.inferenceId });
    if (filter.commandId) query.andWhere('a.commandId = :commandId', { commandId: filter.commandId });
    if (filter.actor) query.andWhere('a.actor = :actor', { actor: filter.actor });
    if (filter.q) {
      const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere(
        new Brackets((q) => {
          for (const column of ['commandId', 'parameter', 'reasonCode', 'message', 'reason'])
            q.orWhere(`a.${column} LIKE :like ESCAPE '\\'`, { like });
        }),
      );
    }
    return query;
  }
}
