import { Injectable } from '@nestjs/common';
import { UserError } from '../common/errors';
import { AutonomyService } from './autonomy.service';
import { scorecards, type Scorecard, type ScorecardGroup } from './domain/scorecard';
import { AutonomyRepository, type DecisionFilter } from './persistence/autonomy.repository';
import { toNdjson, toParquet, trainingRowOf, type TrainingRow } from './training-export';

/** The most rows one export or scorecard reads; narrow the period or the model beyond it. */
export const REPORT_ROW_LIMIT = 200_000;

/** Scorecards and the training-data export, read from the decision rows. */
@Injectable()
export class AutonomyReports {
  constructor(
    private readonly repository: AutonomyRepository,
    private readonly autonomy: AutonomyService,
  ) {}

  async scorecards(group: ScorecardGroup, filter: DecisionFilter): Promise<Scorecard[]> {
    await this.autonomy.settled();
    return scorecards(await this.rows(filter), group);
  }

  /** Decisions joined with the facts their rule evaluation saw, oldest first. */
  async trainingRows(filter: DecisionFilter): Promise<TrainingRow[]> {
    await this.autonomy.settled();
    const rows = await this.rows(filter);
    const facts = await this.repository.factsByInference([
      ...new Set(rows.map((r) => r.inferenceId).filter((id): id is string => Boolean(id))),
    ]);
    return rows.map((row) => trainingRowOf(row, row.inferenceId ? facts.get(row.inferenceId) : undefined));
  }

  async export(format: 'ndjson' | 'parquet', filter: DecisionFilter): Promise<Buffer> {
    const rows = await this.trainingRows(filter);
    if (format === 'ndjson') return Buffer.from(toNdjson(rows), 'utf8');
    return toParquet(rows, {
      'loopgate.export': 'training-data',
      'loopgate.filter': JSON.stringify(filter),
      'loopgate.rows': String(rows.length),
    });
  }

  private async rows(filter: DecisionFilter) {
    const rows = await this.repository.listDecisions(filter, REPORT_ROW_LIMIT + 1);
    if (rows.length > REPORT_ROW_LIMIT)
      throw new UserError(
        'TOO_MANY_ROWS',
        `more than ${REPORT_ROW_LIMIT} decisions match: narrow the period or the model`,
        422,
      );
    return rows;
  }
}
