import type { CommandState } from '@loopgate/contracts';
import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import type { Command } from '../domain/command';
import { CommandEntity } from './entities';
import { rowToCommand } from './row-mappers';

export interface CommandFilter {
  state?: CommandState;
  states?: CommandState[];
  initiator?: 'ai' | 'human';
  /** The lineage's modelId and ruleSetId. */
  model?: string;
  ruleSet?: string;
  /** Received at or after / before (ISO 8601). */
  since?: string;
  until?: string;
  /** Also count every matching command. */
  count?: boolean;
  target?: string;
  object?: string;
  inferenceId?: string;
  requestId?: string;
  /** A command id: only commands received before it. */
  before?: string;
  limit: number;
}

/** Reads of stored commands for the API, newest first. */
@Injectable()
export class CommandRepository {
  private readonly repository: Repository<CommandEntity>;

  constructor(dataSource: DataSource) {
    this.repository = dataSource.getRepository(CommandEntity);
  }

  async list(filter: CommandFilter): Promise<{ commands: Command[]; nextBefore?: string; count?: number }> {
    const query = this.repository.createQueryBuilder('c');
    if (filter.state) query.andWhere('c.state = :state', { state: filter.state });
    if (filter.states?.length) query.andWhere('c.state IN (:...states)', { states: filter.states });
    if (filter.initiator) query.andWhere('c.initiator = :initiator', { initiator: filter.initiator });
    if (filter.since) query.andWhere('c.receivedAt >= :since', { since: new Date(filter.since).toISOString() });
    if (filter.until) query.andWhere('c.receivedAt < :until', { until: new Date(filter.until).toISOString() });
    // Lineage is stored as JSON text: a member as JSON.stringify wrote it, matched exactly.
    for (const [member, value] of [
      ['modelId', filter.model],
      ['ruleSetId', filter.ruleSet],
    ] as const) {
      if (!value) continue;
      const needle = `${JSON.stringify(member)}:${JSON.stringify(value)}`.replace(/[\\%_]/g, (c) => `\\${c}`);
      query.andWhere(`c.lineageJson LIKE :${member} ESCAPE '\\'`, { [member]: `%${needle}%` });
    }
    if (filter.inferenceId) query.andWhere('c.inferenceId = :inferenceId', { inferenceId: filter.inferenceId });
    if (filter.requestId) query.andWhere('c.requestId = :requestId', { requestId: filter.requestId });
    // Every matching command, whatever page this is.
    const count = filter.count ? await query.clone().getCount() : undefined;
    if (filter.before) {
      const cursor = await this.repository.findOne({
        where: { id: filter.before },
        select: { id: true, receivedAt: true },
      });
      if (cursor) {
        query.andWhere('(c.receivedAt < :at OR (c.receivedAt = :at AND c.id < :id))', {
          at: cursor.receivedAt,
          id: cursor.id,
        });
      }
    }
    const rows = await query
      .orderBy('c.receivedAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(filter.limit + 1)
      .getMany();
    const page = rows.slice(0, filter.limit).map((row) => rowToCommand(row as unknown as Record<string, unknown>));
    return {
      commands: page,
      ...(rows.length > filter.limit ? { nextBefore: page[page.length - 1].id } : {}),
      ...(count !== undefined ? { count } : {}),
    };
  }

  /** Counts by state, for tests and the crash check. */
  async countByState(): Promise<Record<string, number>> {
    const rows = await this.repository
      .createQueryBuilder('c')
      .select('c.state', 'state')
      .addSelect('COUNT(*)', 'n')
      .groupBy('c.state')
      .getRawMany<{ state: string; n: string | number }>();
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]));
  }
}
