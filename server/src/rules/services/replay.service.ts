import { Injectable } from '@nestjs/common';
import type { ReplayDifference, ReplayReport, ReplayRequest, RuleEvent, RuleSetFile } from '@loopgate/contracts';
import { parseRuleSetFile, type RuleSetEvaluator } from '@loopgate/rules';
import { UserError } from '../../common/errors';
import { writeBackDifference } from '../domain/write-back-difference';
import type { RuleDecisionEntity } from '../persistence/entities';
import { DecisionsRepository } from '../persistence/decisions.repository';
import { RuleSetDraftsRepository } from '../persistence/rule-set-drafts.repository';
import { RuleSetVersionsRepository } from '../persistence/rule-set-versions.repository';
import { RuleEvaluation, evaluationError } from './evaluation.service';

const DAY_MS = 24 * 60 * 60 * 1000;
const PAGE = 500;
/** A replay reads at most this many decisions; a larger window is refused rather than cut silently. */
export const MAX_REPLAY_DECISIONS = 100_000;
/** Differences and candidate errors listed in full; the counts cover all decisions. */
export const MAX_LISTED = 200;

/**
 * What-if replay: runs a candidate (a version, given content, or the saved draft) over the
 * decisions recorded in a time window and compares the write-backs it would have requested with
 * those the live version requested then. It writes nothing.
 */
@Injectable()
export class WhatIfReplay {
  constructor(
    private readonly decisions: DecisionsRepository,
    private readonly versions: RuleSetVersionsRepository,
    private readonly drafts: RuleSetDraftsRepository,
    private readonly evaluation: RuleEvaluation,
  ) {}

  async replay(ruleSetId: string, request: ReplayRequest, now = new Date()): Promise<ReplayReport> {
    const candidate = await this.candidate(ruleSetId, request);
    const to = request.to ? new Date(request.to) : now;
    const from = request.from ? new Date(request.from) : new Date(to.getTime() - DAY_MS);
    if (!(from.getTime() < to.getTime())) {
      throw new UserError('INVALID_WINDOW', 'from must be before to', 400, [
        { code: 'INVALID_WINDOW', path: '$.from', message: 'must be before to' },
      ]);
    }
    const live = await this.versions.live(ruleSetId, 'production');
    const report: ReplayReport = {
      ruleSetId,
      ...(request.version !== undefined ? { candidateVersion: request.version } : {}),
      ...(live ? { liveVersion: live.version } : {}),
      from: from.toISOString(),
      to: to.toISOString(),
      decisions: 0,
      wouldAdd: 0,
      wouldRemove: 0,
      differences: [],
      liveVersions: [],
      candidateErrors: [],
      differencesLimit: MAX_LISTED,
    };
    const liveVersions = new Set<number>();
    let after: RuleDecisionEntity | undefined;
    for (;;) {
      const page = await this.decisions.window(ruleSetId, report.from, report.to, PAGE, after);
      for (const decision of page) {
        if (++report.decisions > MAX_REPLAY_DECISIONS) {
          throw new UserError(
            'WINDOW_TOO_LARGE',
            `the window holds more than ${MAX_REPLAY_DECISIONS} decisions: narrow it`,
            400,
          );
        }
        liveVersions.add(decision.ruleSetVersion);
        await this.compare(candidate, decision, report);
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1];
    }
    report.liveVersions = [...liveVersions].sort((a, b) => a - b);
    return report;
  }

  private async compare(
    candidate: RuleSetEvaluator,
    decision: RuleDecisionEntity,
    report: ReplayReport,
  ): Promise<void> {
    const facts = JSON.parse(decision.factsJson) as Record<string, unknown>;
    const liveEvents = JSON.parse(decision.firedEventsJson) as RuleEvent[];
    let candidateEvents: RuleEvent[];
    try {
      candidateEvents = await candidate.eventsAsync(facts);
    } catch (error) {
      const failure = evaluationError(error);
      if (report.candidateErrors!.length < MAX_LISTED) {
        report.candidateErrors!.push({ time: decision.decidedAt, code: failure.code, message: failure.message });
      }
      return;
    }
    const { onlyCandidate, onlyLive } = writeBackDifference(candidateEvents, liveEvents);
    if (onlyCandidate.length > 0) report.wouldAdd++;
    if (onlyLive.length > 0) report.wouldRemove++;
    if ((onlyCandidate.length > 0 || onlyLive.length > 0) && report.differences.length < MAX_LISTED) {
      const difference: ReplayDifference = { time: decision.decidedAt, facts, onlyCandidate, onlyLive };
      if (decision.inferenceId) difference.inferenceId = decision.inferenceId;
      report.differences.push(difference);
    }
  }

  /**
   * The version given, the content given, or else the saved draft. Content must be a well-formed
   * rule set; semantic issues (an undeclared fact, say) do not stop a what-if.
   */
  private async candidate(ruleSetId: string, request: ReplayRequest): Promise<RuleSetEvaluator> {
    if (request.version !== undefined && request.content !== undefined) {
      throw new UserError('VALIDATION_FAILED', 'give a version or content, not both', 400, [
        { code: 'VERSION_OR_CONTENT', path: '$.content', message: 'not together with version' },
      ]);
    }
    if (request.version !== undefined) return (await this.evaluation.load(ruleSetId, request.version)).evaluator;
    let content: unknown = request.content;
    if (content === undefined) {
      const draft = await this.drafts.find(ruleSetId);
      if (!draft)
        throw new UserError('NOT_FOUND', `rule set ${ruleSetId} has no draft: give a version or content`, 404);
      content = JSON.parse(draft.content);
    }
    const parsed = parseRuleSetFile(content);
    if (!parsed.success)
      throw new UserError('VALIDATION_FAILED', 'the candidate is not a well-formed rule set', 400, parsed.issues);
    if (parsed.value.id !== ruleSetId) {
      throw new UserError('ID_MISMATCH', `the candidate is rule set ${parsed.value.id}, not ${ruleSetId}`, 400, [
        { code: 'ID_MISMATCH', path: '$.id', message: `expected ${ruleSetId}` },
      ]);
    }
    return this.evaluation.compile(parsed.value as RuleSetFile);
  }
}
