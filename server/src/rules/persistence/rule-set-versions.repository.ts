import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, type Repository } from 'typeorm';
import { RuleSetVersionEntity } from './entities';

/** A primary-key clash: another version with this number was stored first. */
export class VersionNumberTaken extends Error {}

function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driver = error.driverError as { code?: string } | undefined;
  // PostgreSQL unique_violation; better-sqlite3 constraint codes.
  return driver?.code === '23505' || /^SQLITE_CONSTRAINT/.test(driver?.code ?? '');
}

/** The only place that reads and writes `rule_set_versions`. */
@Injectable()
export class RuleSetVersionsRepository {
  constructor(@InjectRepository(RuleSetVersionEntity) private readonly versions: Repository<RuleSetVersionEntity>) {}

  /** Inserts a version; throws VersionNumberTaken when its number is already used. */
  async insert(version: RuleSetVersionEntity): Promise<void> {
    try {
      await this.versions.insert(version);
    } catch (error) {
      if (isUniqueViolation(error)) throw new VersionNumberTaken(`${version.ruleSetId} v${version.version}`);
      throw error;
    }
  }

  find(ruleSetId: string, version: number): Promise<RuleSetVersionEntity | null> {
    return this.versions.findOneBy({ ruleSetId, version });
  }

  /** Every version of a rule set, oldest first. */
  list(ruleSetId: string): Promise<RuleSetVersionEntity[]> {
    return this.versions.find({ where: { ruleSetId }, order: { version: 'ASC' } });
  }

  /** The newest version of any status, or null. */
  newest(ruleSetId: string): Promise<RuleSetVersionEntity | null> {
    return this.versions.findOne({ where: { ruleSetId }, order: { version: 'DESC' } });
  }

  /** The newest published version for an environment: the one that runs there. */
  live(ruleSetId: string, environment: string): Promise<RuleSetVersionEntity | null> {
    return this.versions.findOne({
      where: { ruleSetId, environment, status: 'published' },
      order: { version: 'DESC' },
    });
  }

  /** Version metadata of every rule set (no content), for the list of rule sets. */
  allHeaders(): Promise<Pick<RuleSetVersionEntity, 'ruleSetId' | 'version' | 'name' | 'status' | 'environment'>[]> {
    return this.versions.find({
      select: {
        ruleSetId: true,
        version: true,
        name: true,
        status: true,
        environment: true,
        author: true,
        createdAt: true,
        comment: true,
      },
      order: { ruleSetId: 'ASC', version: 'ASC' },
    });
  }

  /**
   * Records the decision on a pending version, only if it is still pending: returns false when
   * someone else decided first.
   */
  async decide(
    ruleSetId: string,
    version: number,
    decision: Pick<RuleSetVersionEntity, 'status' | 'decidedBy' | 'decidedAt' | 'signatureJson'>,
  ): Promise<boolean> {
    const result = await this.versions.update({ ruleSetId, version, status: 'pending-approval' }, decision);
    return (result.affected ?? 0) === 1;
  }
}
