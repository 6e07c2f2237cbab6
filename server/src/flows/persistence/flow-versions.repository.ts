import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';
import { FlowVersionEntity } from './flow-version.entity';

/** A primary-key clash: another version with this number was stored first. */
export class FlowVersionNumberTaken extends Error {}

function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driver = error.driverError as { code?: string } | undefined;
  return driver?.code === '23505' || /^SQLITE_CONSTRAINT/.test(driver?.code ?? '');
}

const HEADER_COLUMNS = {
  version: true,
  checksum: true,
  author: true,
  createdAt: true,
  status: true,
  source: true,
  nodeCount: true,
  diffJson: true,
  comment: true,
  rollbackOf: true,
  decidedBy: true,
  decidedAt: true,
  signatureJson: true,
} as const;

/** The only place that reads and writes `flow_versions`. */
@Injectable()
export class FlowVersionsRepository {
  constructor(@InjectRepository(FlowVersionEntity) private readonly versions: Repository<FlowVersionEntity>) {}

  async insert(version: FlowVersionEntity): Promise<void> {
    try {
      await this.versions.insert(version);
    } catch (error) {
      if (isUniqueViolation(error)) throw new FlowVersionNumberTaken(`flow version ${version.version}`);
      throw error;
    }
  }

  find(version: number): Promise<FlowVersionEntity | null> {
    return this.versions.findOneBy({ version });
  }

  /** Every version without its flows, newest first. */
  headers(limit: number): Promise<Omit<FlowVersionEntity, 'content'>[]> {
    return this.versions.find({ select: HEADER_COLUMNS, order: { version: 'DESC' }, take: limit });
  }

  newest(): Promise<FlowVersionEntity | null> {
    return this.versions.findOne({ where: {}, order: { version: 'DESC' } });
  }

  /** The newest published version: the one Node-RED runs. */
  live(): Promise<FlowVersionEntity | null> {
    return this.versions.findOne({ where: { status: 'published' }, order: { version: 'DESC' } });
  }

  /** Records the decision on a pending version only if it is still pending; false when someone decided first. */
  async decide(
    version: number,
    decision: Pick<FlowVersionEntity, 'status' | 'decidedBy' | 'decidedAt' | 'signatureJson'>,
  ): Promise<boolean> {
    const result = await this.versions.update({ version, status: 'pending-approval' }, decision);
    return (result.affected ?? 0) === 1;
  }
}
