import type { CommandState } from '@loopgate/contracts';
import { Injectable } from '@nestjs/common';
import { DataSource, type Repository } from 'typeorm';
import type { Command } from '../domain/command';
import { CommandEntity } from './entities';
import { rowToCommand } from './row-mappers';

export interface CommandFilter {
  state?: CommandState;
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

  async list(filter: CommandFilter): Promise<{ commands: Command[]; nextBefore?: string }> {
    const query = this.repository.createQueryBuilder('c');
    if (filter.state) query.andWhere('c.state = :state', { state: filter.state });
    if (filter.target) query.andWhere('c.targetInstance = :target', { target: filter.target });
    if (filter.object) query.andWhere('c.objectId = :object', { object: filter.object });
    if (filter.inferenceId) query.andWhere('c.inferenceId = :inferenceId', { inferenceId: filter.inferenceId });
    if (filter.requestId) query.andWhere('c.requestId = :requestId', { requestId: filter.requestId });
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
    return rows.length > filter.limit ? { commands: page, nextBefore: page[page.length - 1].id } : { commands: page };
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
