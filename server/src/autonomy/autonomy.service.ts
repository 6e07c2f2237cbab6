import { createHash } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import type { ElectronicSignature, WriteBackRequest } from '@loopgate/contracts';
import { v7 as uuidv7 } from 'uuid';
import { SIGNATURE_SERVICE, type Principal, type SignatureService } from '../auth/principal';
import { AUDIT_WRITER, type AuditWriter } from '../common/audit.port';
import { CLOCK, type Clock } from '../common/clock';
import { UserError } from '../common/errors';
import { ConfigError, LOOPGATE_CONFIG, type LoopgateConfig } from '../config/config';
import { canonicalJson } from '../gateway/domain/audit-chain';
import type { Command } from '../gateway/domain/command';
import { AutonomyHooks, type AutonomyJudgement, type AutonomyPolicy } from '../gateway/engine/autonomy-port';
import type { EngineObserver } from '../gateway/engine/ports';
import type { WriteBackEngine } from '../gateway/engine/writeback-engine';
import { WRITEBACK_ENGINE } from '../gateway/services/tokens';
import { AutonomyMetrics } from './autonomy-metrics';
import { judgeEffect, type EffectCheck, type EffectResult, type JudgedEffect } from './domain/effect';
import { inputRefusal } from './domain/input-quality';
import {
  demotionTrigger,
  evidenceOf,
  unmetThresholds,
  type DecisionFacts,
  type ScopeEvidence,
  type ThresholdIssue,
} from './domain/evidence';
import {
  levelAbove,
  levelBelow,
  mostSpecificScope,
  scopeIdOf,
  selectorOf,
  type AutonomyLevel,
  type ScopeSelector,
} from './domain/levels';
import { AutonomySettingsError, parseAutonomySettings, type AutonomySettings } from './domain/settings';
import type { AutonomyDecisionEntity, AutonomyLevelChangeEntity } from './persistence/entities';
import { AutonomyRepository } from './persistence/autonomy.repository';
import { InputClocks, type InputClock } from './domain/input-clocks';

/** A scope as the service keeps it: the stored level and when it last changed. */
export interface StoredScope extends ScopeSelector {
  scopeId: string;
  level: AutonomyLevel;
  changedAt: string;
  changedBy: string;
}

/** What a signer sees before promoting a scope; `evidenceHash` is what the signature binds. */
export interface PromotionEvidence {
  scopeId: string;
  level: AutonomyLevel;
  nextLevel: AutonomyLevel | null;
  periodDays: number;
  since: string;
  /** The evidence's cut-off: decisions received after it are not in it (the signer signs this snapshot). */
  until: string;
  evidence: ScopeEvidence;
  unmet: ThresholdIssue[];
  evidenceHash: string;
}

const AUTONOMY_ACTOR = 'gateway:autonomy';
/** How old the evidence a signer reviewed may be when the signature arrives. */
const EVIDENCE_MAX_AGE_MS = 15 * 60_000;
const DAY_MS = 24 * 3600_000;
/** KPI samples are kept a day, or as long as an effect not yet judged needs them (its window before the write). */
export const KPI_SAMPLE_RETENTION_MS = DAY_MS;
const KPI_PRUNE_EVERY_MS = 3600_000;
const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/**
 * Earned autonomy: the level of each scope (target × parameter or action × model), judged for every
 * AI request in intake; the evidence each decision adds, projected from the engine's outcomes;
 * promotion by a signed decision on that evidence; demotion by itself when a rate over the window
 * passes its threshold; effect checks judged from KPI samples, reverting adverse writes where the
 * scope says so; operator feedback.
 *
 * @example const judgement = await autonomy.judge(command, request); // { level: 'shadow', scope: 'opcenter-demo|FeedRate|tool-wear' }
 */
/** The stored level was no longer the one a demotion started from. */
class LevelMovedError extends Error {
  constructor() {
    super('the level changed meanwhile');
    this.name = 'LevelMovedError';
  }
}

@Injectable()
export class AutonomyService
  implements AutonomyPolicy, EngineObserver, OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Autonomy');
  readonly settings: AutonomySettings;
  private scopes: StoredScope[] = [];
  /** Effect checks named by requests still being accepted, by command id. */
  private readonly pendingEffects = new Map<string, EffectCheck>();
  private readonly clocks = new InputClocks();
  /** AI commands outside every scope that carry an effect check (bounded, oldest forgotten): they are projected too. */
  private readonly unscopedWithEffect = new Set<string>();
  /** Projection writes run one after another, in the order the engine reported them. */
  private writes: Promise<void> = Promise.resolve();
  private ticker?: ReturnType<typeof setInterval>;
  private lastSamplePrune = 0;
  private ticking = false;

  constructor(
    private readonly repository: AutonomyRepository,
    private readonly metrics: AutonomyMetrics,
    private readonly hooks: AutonomyHooks,
    @Inject(LOOPGATE_CONFIG) config: LoopgateConfig,
    @Inject(WRITEBACK_ENGINE) private readonly engine: WriteBackEngine,
    @Inject(AUDIT_WRITER) private readonly audit: AuditWriter,
    @Inject(SIGNATURE_SERVICE) private readonly signatures: SignatureService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    try {
      this.settings = parseAutonomySettings(config.site.autonomy);
    } catch (error) {
      if (error instanceof AutonomySettingsError)
        throw new ConfigError(error.problems.map((problem) => `site.autonomy.${problem}`));
      throw error;
    }
  }

  onModuleInit(): void {
    this.hooks.attach(this, this);
  }

  /** Seeds configured scopes that are not stored yet, loads the stored levels, starts the effect and demotion sweep. */
  async onApplicationBootstrap(): Promise<void> {
    const at = this.iso();
    for (const scope of this.settings.scopes) {
      const scopeId = scopeIdOf(scope);
      await this.repository.seedScope(
        {
          scopeId,
          target: scope.target,
          parameter: scope.parameter,
          model: scope.model,
          level: scope.level,
          changedAt: at,
          changedBy: 'site-file',
        },
        this.changeRow(scopeId, null, scope.level, 'configured', 'site-file', at, {
          reason: 'configured in the site file',
        }),
      );
    }
    await this.refreshScopes();
    this.ticker = setInterval(() => void this.tick(), 5000);
    this.ticker.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await this.settled();
  }

  /** Resolves once every outcome reported so far is projected (tests, shutdown). */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.writes;
      await current;
    } while (current !== this.writes);
  }

  /** The latest source clock of each decision input this process received, the most skewed first. */
  inputClocks(): InputClock[] {
    return this.clocks.list();
  }

  // The policy port (intake)

  async judge(command: Command, request: WriteBackRequest): Promise<AutonomyJudgement | undefined> {
    const now = this.clock.now();
    for (const input of command.lineage.inputs ?? []) {
      if (!input.sourceTime) continue;
      const skew = (Date.parse(input.sourceTime) - now) / 1000;
      this.metrics.clockSkew(input.name, skew, skew > this.settings.inputQuality.maxClockSkewSeconds);
    }
    this.clocks.record(command.lineage.inputs, now, this.settings.inputQuality);
    const refused = inputRefusal(command.lineage.inputs, this.settings.inputQuality, now);
    const refusal = refused ? { refusal: { code: refused.code, message: refused.message } } : {};
    const scope = mostSpecificScope(this.scopes, subjectOf(command));
    const configured = scope && this.settings.scopes.find((s) => scopeIdOf(s) === scope.scopeId);
    const effect = request.effectCheck ?? (configured?.effect && kpiFor(configured.effect, command));
    if (effect) this.pendingEffects.set(command.id, effect);
    if (!scope) {
      if (effect) this.trackUnscoped(command.id);
      return refused ? refusal : undefined;
    }
    return {
      level: scope.level,
      scope: scope.scopeId,
      ...refusal,
      ...(scope.level === 'supervised'
        ? {
            approval: {
              rule: `autonomy:${scope.scopeId}`,
              requiresQuality: false,
              expiresAfterSeconds: this.settings.supervisedApprovalTtlSeconds,
            },
          }
        : {}),
    };
  }

  // The observer port (the engine's outcomes)

  outcome(command: Command): void {
    if (command.initiator !== 'ai' || command.revertOf) return;
    // Only decisions a scope governs (or that carry an effect check) are evidence; the rest stay off this path.
    if (!command.lineage.autonomyScope && !this.unscopedWithEffect.has(command.id)) return;
    this.enqueue(() => this.project(command));
  }

  overridden(commandId: string): void {
    this.enqueue(async () => {
      const row = await this.repository.findDecision(commandId);
      if (!row) return;
      row.overridden += 1;
      row.updatedAt = this.iso();
      await this.repository.saveDecision(row);
      this.metrics.count(row.modelId, row.modelVersion, 'overridden');
      await this.judgeDemotion(row.scopeId);
    });
  }

  private trackUnscoped(commandId: string): void {
    this.unscopedWithEffect.add(commandId);
    if (this.unscopedWithEffect.size > 10_000)
      this.unscopedWithEffect.delete(this.unscopedWithEffect.values().next().value as string);
  }

  private enqueue(work: () => Promise<void>): void {
    this.writes = this.writes.then(work).catch((error: unknown) => {
      this.logger.error(`recording autonomy evidence failed: ${(error as Error).stack ?? String(error)}`);
    });
  }

  /** Keeps the decision row of an AI command up to date with the command. */
  private async project(command: Command): Promise<void> {
    const existing = await this.repository.findDecision(command.id);
    const row: AutonomyDecisionEntity = existing ?? this.newRow(command);
    const before = { state: row.state, approval: row.approval, reverted: row.reverted, fresh: !existing };
    const meaning = command.approval?.signature?.meaning;
    row.state = command.state;
    row.reasonCode = command.reasonCode ?? null;
    row.approval = meaning === 'approved' || meaning === 'rejected' ? meaning : row.approval;
    row.reverted = command.revertedBy ? 1 : row.reverted;
    row.revertCommandId = command.revertedBy ?? row.revertCommandId;
    row.priorValueJson = command.priorValue !== undefined ? json(command.priorValue) : row.priorValueJson;
    row.appliedAt = command.appliedAt ?? row.appliedAt;
    row.updatedAt = this.iso();
    await this.repository.saveDecision(row);
    this.countTransitions(row, before);
    if ((row.approval === 'rejected' && before.approval !== 'rejected') || (row.reverted && !before.reverted))
      await this.judgeDemotion(row.scopeId);
  }

  private newRow(command: Command): AutonomyDecisionEntity {
    const effect = this.pendingEffects.get(command.id);
    this.pendingEffects.delete(command.id);
    const lineage = command.lineage;
    return {
      commandId: command.id,
      scopeId: lineage.autonomyScope ?? '',
      level: lineage.autonomyLevel ?? 'autonomous',
      targetInstance: command.target.instance,
      parameter: command.parameter ?? command.action,
      objectId: command.object.id,
      modelId: lineage.modelId ?? 'unknown',
      modelVersion: lineage.modelVersion ?? null,
      ruleSetId: lineage.ruleSetId ?? null,
      ruleSetVersion: lineage.ruleSetVersion ?? null,
      inferenceId: lineage.inferenceId ?? null,
      state: command.state,
      reasonCode: null,
      approval: null,
      overridden: 0,
      reverted: 0,
      revertCommandId: null,
      valueJson: json(command.value),
      priorValueJson: null,
      effectCheckJson: effect ? JSON.stringify(effect) : null,
      effectJson: null,
      effectVerdict: null,
      receivedAt: command.receivedAt,
      appliedAt: null,
      updatedAt: command.updatedAt,
      feedback: null,
      feedbackNote: null,
      feedbackBy: null,
      feedbackAt: null,
    };
  }

  private countTransitions(
    row: AutonomyDecisionEntity,
    before: { state: string; approval: string | null; reverted: number; fresh: boolean },
  ): void {
    const count = (outcome: string) => this.metrics.count(row.modelId, row.modelVersion, outcome);
    if (before.fresh) count('proposed');
    if (row.state !== before.state || before.fresh) {
      if (row.state === 'applied') count('applied');
      if (row.state === 'shadow') count('shadow');
      if (row.state === 'rejected' && row.approval !== 'rejected') count('refused');
    }
    if (row.approval && row.approval !== before.approval) count(row.approval);
    if (row.reverted && !before.reverted) count('reverted');
  }

  // Levels

  listScopes(): StoredScope[] {
    return [...this.scopes];
  }

  scope(scopeId: string): StoredScope {
    const scope = this.scopes.find((s) => s.scopeId === scopeId);
    if (!scope) throw new UserError('NOT_FOUND', `no autonomy scope ${scopeId}`, 404);
    return scope;
  }

  /** Reads the stored levels (another gateway process may have changed one). */
  async refreshScopes(): Promise<void> {
    this.scopes = (await this.repository.listScopes()).map((row) => ({
      scopeId: row.scopeId,
      target: row.target,
      parameter: row.parameter,
      model: row.model,
      level: row.level as AutonomyLevel,
      changedAt: row.changedAt,
      changedBy: row.changedBy,
    }));
    for (const scope of this.scopes) this.metrics.setLevel(scope.scopeId, scope.level);
  }

  levelChanges(scopeId?: string): Promise<AutonomyLevelChangeEntity[]> {
    return this.repository.levelChanges(scopeId);
  }

  /**
   * The evidence for moving `scopeId` up one level, over the period its next level's thresholds
   * name, up to `until` (default now). A model in a pilot keeps deciding while a person reviews;
   * the snapshot they sign is the one up to the moment it was shown.
   */
  async promotionEvidence(scopeId: string, until?: string): Promise<PromotionEvidence> {
    await this.refreshScopes();
    const scope = this.scope(scopeId);
    const nextLevel = levelAbove(scope.level) ?? null;
    const thresholds = this.settings.promotion[nextLevel === 'autonomous' ? 'autonomous' : 'supervised'];
    const end = until ?? new Date(this.clock.now()).toISOString();
    const since = new Date(Date.parse(end) - thresholds.periodDays * DAY_MS).toISOString();
    await this.settled();
    const evidence = evidenceOf((await this.repository.listDecisions({ scopeId, from: since, to: end })).map(factsOf));
    const unmet = nextLevel ? unmetThresholds(evidence, thresholds) : [];
    const evidenceHash = sha256(
      canonicalJson({
        scopeId,
        fromLevel: scope.level,
        toLevel: nextLevel,
        periodDays: thresholds.periodDays,
        until: end,
        evidence,
      }),
    );
    return {
      scopeId,
      level: scope.level,
      nextLevel,
      periodDays: thresholds.periodDays,
      since,
      until: end,
      evidence,
      unmet,
      evidenceHash,
    };
  }

  /**
   * Moves a scope up one level on a signature: the signer must be a person, the evidence must be
   * the one they saw (`evidenceHash`) and meet the site file's thresholds; the signature is bound to
   * the hash of the evidence and stored with it.
   */
  async promote(
    scopeId: string,
    input: { toLevel: AutonomyLevel; evidenceHash: string; evidenceUntil?: string; password: string; comment?: string },
    principal: Principal | undefined,
  ): Promise<StoredScope> {
    if (principal?.kind !== 'user')
      throw new UserError('SIGNATURE_REQUIRES_USER', 'only a signed-in person can sign', 403);
    if (input.evidenceUntil !== undefined) {
      const age = this.clock.now() - Date.parse(input.evidenceUntil);
      if (!(age >= 0 && age <= EVIDENCE_MAX_AGE_MS)) {
        throw new UserError(
          'EVIDENCE_STALE',
          `the evidence shown ends at ${input.evidenceUntil}: sign evidence at most ${EVIDENCE_MAX_AGE_MS / 60_000} minutes old, not from the future`,
          409,
        );
      }
    }
    const snapshot = await this.promotionEvidence(scopeId, input.evidenceUntil);
    if (!snapshot.nextLevel || input.toLevel !== snapshot.nextLevel) {
      throw new UserError(
        'PROMOTION_NOT_NEXT_LEVEL',
        `scope ${scopeId} is ${snapshot.level}; it can only move up to ${snapshot.nextLevel ?? 'nothing (it is at the top)'}`,
        409,
      );
    }
    if (input.evidenceHash !== snapshot.evidenceHash) {
      throw new UserError(
        'EVIDENCE_CHANGED',
        'the evidence changed since it was shown: review it again before signing',
        409,
      );
    }
    if (snapshot.unmet.length > 0) {
      throw new UserError(
        'PROMOTION_THRESHOLDS_NOT_MET',
        `scope ${scopeId} does not meet the thresholds for ${snapshot.nextLevel}`,
        409,
        snapshot.unmet.map((issue) => ({ code: issue.code, path: `$.evidence.${issue.code}`, message: issue.message })),
      );
    }
    const signed = await this.signatures.sign({
      username: principal.id,
      password: input.password,
      meaning: 'approved',
      recordHash: snapshot.evidenceHash,
    });
    const { roles: _roles, ...signature } = signed;
    const at = this.iso();
    const change = this.changeRow(scopeId, snapshot.level, snapshot.nextLevel, 'promoted', principal.id, at, {
      reason: input.comment ?? null,
      evidence: snapshot,
      signature: signature as ElectronicSignature,
    });
    await this.audit.appendWith(
      {
        outcome: 'autonomy',
        action: 'autonomy-promote',
        actor: principal.id,
        lineage: { modelId: selectorOf(scopeId).model, autonomyScope: scopeId, autonomyLevel: snapshot.nextLevel },
        message: `scope ${scopeId} promoted from ${snapshot.level} to ${snapshot.nextLevel} on evidence ${snapshot.evidenceHash}${input.comment ? `: ${input.comment}` : ''}`,
        ...(input.comment ? { reason: input.comment } : {}),
        signature: signature as ElectronicSignature,
      },
      this.repository.levelChange(
        change,
        () =>
          new UserError('LEVEL_CHANGED', `the level of ${scopeId} changed meanwhile: review the evidence again`, 409),
      ),
    );
    this.metrics.promoted(scopeId);
    await this.refreshScopes();
    return this.scope(scopeId);
  }

  /** A person drops a scope one level (no thresholds: less autonomy is always allowed). */
  async demoteByHand(scopeId: string, reason: string, actor: string, fromLevel?: AutonomyLevel): Promise<StoredScope> {
    await this.refreshScopes();
    const scope = this.scope(scopeId);
    const moved = () =>
      new UserError(
        'LEVEL_CHANGED',
        `${scopeId} is ${this.scope(scopeId).level} now, not ${fromLevel ?? scope.level}: look again before demoting`,
        409,
      );
    if (fromLevel && scope.level !== fromLevel) throw moved();
    if (scope.level === 'shadow') throw new UserError('ALREADY_SHADOW', `scope ${scopeId} is already in shadow`, 409);
    // Another change stored between the read and the commit: this one is not made.
    if (!(await this.demote(scope, actor, reason, undefined))) throw moved();
    return this.scope(scopeId);
  }

  /**
   * Drops the scope one level when a rate over the window (counted since its last level change, so
   * the figures of the level it left do not demote it again) passes its threshold.
   */
  private async judgeDemotion(scopeId: string): Promise<void> {
    const scope = this.scopes.find((s) => s.scopeId === scopeId);
    if (!scope || scope.level === 'shadow') return;
    const windowStart = this.clock.now() - this.settings.demotion.windowHours * 3600_000;
    const since = new Date(Math.max(windowStart, Date.parse(scope.changedAt))).toISOString();
    const rows = (await this.repository.listDecisions({ scopeId, from: since })).filter((r) => r.level === scope.level);
    const evidence = evidenceOf(rows.map(factsOf));
    const trigger = demotionTrigger(evidence, this.settings.demotion);
    if (!trigger) return;
    const message = `${trigger.rule} ${trigger.count}/${trigger.of} = ${(trigger.rate * 100).toFixed(1)} % over ${this.settings.demotion.windowHours} h passed ${(trigger.threshold * 100).toFixed(1)} %`;
    await this.demote(scope, AUTONOMY_ACTOR, message, { trigger, since, evidence });
    this.metrics.demotedBy(scopeId, trigger.rule);
  }

  /** True when the scope moved; false when its stored level was no longer `scope.level` (nothing stored). */
  private async demote(scope: StoredScope, actor: string, reason: string, figures: unknown): Promise<boolean> {
    const to = levelBelow(scope.level);
    const at = this.iso();
    const change = this.changeRow(scope.scopeId, scope.level, to, 'demoted', actor, at, { reason, figures });
    try {
      await this.audit.appendWith(
        {
          outcome: 'autonomy',
          action: 'autonomy-demote',
          actor,
          lineage: { modelId: scope.model, autonomyScope: scope.scopeId, autonomyLevel: to },
          message: `scope ${scope.scopeId} demoted from ${scope.level} to ${to}: ${reason}`,
          // A person's typed reason; the automatic demotion's figures are in the message.
          ...(actor === AUTONOMY_ACTOR ? {} : { reason }),
        },
        this.repository.levelChange(change, () => new LevelMovedError()),
      );
    } catch (error) {
      // Another process (or person) moved the scope first: nothing was stored; read the new level.
      if (!(error instanceof LevelMovedError)) throw error;
      await this.refreshScopes();
      return false;
    }
    this.logger.warn(`scope ${scope.scopeId} demoted from ${scope.level} to ${to}: ${reason}`);
    await this.refreshScopes();
    return true;
  }

  private changeRow(
    scopeId: string,
    from: AutonomyLevel | null,
    to: AutonomyLevel,
    kind: 'configured' | 'promoted' | 'demoted',
    actor: string,
    at: string,
    extra: { reason?: string | null; evidence?: PromotionEvidence; signature?: ElectronicSignature; figures?: unknown },
  ): AutonomyLevelChangeEntity {
    return {
      id: uuidv7(),
      scopeId,
      fromLevel: from,
      toLevel: to,
      kind,
      actor,
      at,
      reason: extra.reason ?? null,
      evidenceJson: extra.evidence ? JSON.stringify(extra.evidence) : null,
      evidenceHash: extra.evidence?.evidenceHash ?? null,
      signatureJson: extra.signature ? JSON.stringify(extra.signature) : null,
      figuresJson: extra.figures !== undefined ? JSON.stringify(extra.figures) : null,
    };
  }

  // Effects

  /** Stores a KPI sample a flow reported. */
  async recordSample(kpi: string, value: number, at: string | undefined, reportedBy: string): Promise<void> {
    const time = at ? new Date(at).toISOString() : this.iso();
    await this.repository.insertSample({ id: uuidv7(), kpi, at: time, value, reportedBy });
  }

  /**
   * Periodic work on the one clock: reads levels other processes changed, judges the effect of
   * every applied write whose window has passed, reverts adverse ones where the scope says so.
   */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.settled();
      await this.refreshScopes();
      const now = this.clock.now();
      let keepFrom = now - KPI_SAMPLE_RETENTION_MS;
      for (const row of await this.repository.effectsToJudge()) {
        const check = JSON.parse(row.effectCheckJson as string) as EffectCheck;
        const appliedAt = Date.parse(row.appliedAt as string);
        if (appliedAt + check.windowSeconds * 1000 > now) {
          keepFrom = Math.min(keepFrom, appliedAt - check.windowSeconds * 1000);
          continue;
        }
        await this.judgeRowEffect(row, check, appliedAt);
      }
      if (now - this.lastSamplePrune >= KPI_PRUNE_EVERY_MS) {
        this.lastSamplePrune = now;
        const pruned = await this.repository.pruneSamples(new Date(keepFrom).toISOString());
        if (pruned > 0) this.logger.log(`forgot ${pruned} KPI samples older than ${new Date(keepFrom).toISOString()}`);
      }
    } catch (error) {
      this.logger.error(`autonomy sweep failed: ${(error as Error).stack ?? String(error)}`);
    } finally {
      this.ticking = false;
    }
  }

  private async judgeRowEffect(row: AutonomyDecisionEntity, check: EffectCheck, appliedAt: number): Promise<void> {
    const window = check.windowSeconds * 1000;
    const samples = await this.repository.samplesOf(
      check.kpi,
      new Date(appliedAt - window).toISOString(),
      new Date(appliedAt + window).toISOString(),
    );
    const result = judgeEffect(
      check,
      appliedAt,
      samples.map((s) => ({ at: Date.parse(s.at), value: Number(s.value) })),
    );
    const judged: JudgedEffect = { check, ...result, judgedAt: this.iso() };
    row.effectJson = JSON.stringify(judged);
    row.effectVerdict = result.verdict;
    row.updatedAt = this.iso();
    await this.repository.saveDecision(row);
    this.metrics.count(row.modelId, row.modelVersion, `effect_${result.verdict}`);
    await this.audit.append({
      outcome: 'autonomy',
      action: 'autonomy-effect',
      actor: AUTONOMY_ACTOR,
      commandId: row.commandId,
      lineage: this.lineageOf(row),
      message: effectMessage(check, result),
    });
    if (result.verdict !== 'adverse') return;
    const configured = this.settings.scopes.find((s) => scopeIdOf(s) === row.scopeId);
    if (configured?.autoRevertAdverse && row.state === 'applied' && !row.reverted) {
      await this.engine.revert(row.commandId, `adverse effect: ${effectMessage(check, result)}`, {
        id: AUTONOMY_ACTOR,
        permissions: ['writeback:revert'],
        kind: 'service',
      });
    }
    await this.settled();
    await this.judgeDemotion(row.scopeId);
  }

  // Feedback

  /** An operator marks an AI outcome right or wrong (on a shadow decision: agree or disagree). */
  async feedback(commandId: string, verdict: 'right' | 'wrong', note: string | undefined, actor: string) {
    await this.settled();
    let row = await this.repository.findDecision(commandId);
    if (!row) {
      const command = await this.engine.get(commandId);
      if (!command) throw new UserError('NOT_FOUND', `no command ${commandId}`, 404);
      if (command.initiator !== 'ai' || command.revertOf)
        throw new UserError('NOT_AN_AI_DECISION', `command ${commandId} was not decided by a model`, 409);
      row = this.newRow(command);
      row.state = command.state;
    }
    const at = this.iso();
    Object.assign(row, {
      feedback: verdict,
      feedbackNote: note ?? null,
      feedbackBy: actor,
      feedbackAt: at,
      updatedAt: at,
    });
    await this.repository.saveDecision(row);
    this.metrics.count(row.modelId, row.modelVersion, `feedback_${verdict}`);
    await this.audit.append({
      outcome: 'autonomy',
      action: 'autonomy-feedback',
      actor,
      commandId,
      lineage: this.lineageOf(row),
      message: `marked ${verdict}${note ? `: ${note}` : ''}`,
    });
    return row;
  }

  async recentDecisions(scopeId: string | undefined, limit: number): Promise<AutonomyDecisionEntity[]> {
    await this.settled();
    return this.repository.recentDecisions(scopeId, limit);
  }

  decision(commandId: string): Promise<AutonomyDecisionEntity | null> {
    return this.repository.findDecision(commandId);
  }

  private lineageOf(row: AutonomyDecisionEntity) {
    return {
      modelId: row.modelId,
      ...(row.modelVersion ? { modelVersion: row.modelVersion } : {}),
      ...(row.ruleSetId ? { ruleSetId: row.ruleSetId } : {}),
      ...(row.ruleSetVersion !== null ? { ruleSetVersion: row.ruleSetVersion } : {}),
      ...(row.inferenceId ? { inferenceId: row.inferenceId } : {}),
      ...(row.scopeId ? { autonomyScope: row.scopeId, autonomyLevel: row.level as AutonomyLevel } : {}),
    };
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

/** What a scope matches a command on: its target, parameter (or action) and model. */
export function subjectOf(command: Pick<Command, 'target' | 'parameter' | 'action' | 'lineage'>) {
  return {
    target: command.target.instance,
    parameter: command.parameter ?? command.action,
    model: command.lineage.modelId ?? 'unknown',
  };
}

/** A scope's effect check for one write: `{target}`, `{object}` and `{parameter}` in the KPI name name the write's own. */
export function kpiFor(
  check: EffectCheck,
  command: Pick<Command, 'target' | 'object' | 'parameter' | 'action'>,
): EffectCheck {
  const kpi = check.kpi
    .replaceAll('{target}', command.target.instance)
    .replaceAll('{object}', command.object.id)
    .replaceAll('{parameter}', command.parameter ?? command.action);
  return { ...check, kpi };
}

export function factsOf(row: AutonomyDecisionEntity): DecisionFacts {
  return {
    level: row.level as AutonomyLevel,
    state: row.state,
    reasonCode: row.reasonCode,
    approval: row.approval as DecisionFacts['approval'],
    overridden: row.overridden,
    reverted: row.reverted > 0,
    verdict: row.effectVerdict as DecisionFacts['verdict'],
    feedback: row.feedback as DecisionFacts['feedback'],
  };
}

function effectMessage(check: EffectCheck, result: EffectResult): string {
  if (result.verdict === 'no-data') return `${check.kpi}: no samples on one side of the write (no-data)`;
  const mean = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(3));
  return `${check.kpi} mean ${mean(result.before?.mean)} → ${mean(result.after?.mean)} (expected ${check.expected}, tolerance ${check.tolerance}): ${result.verdict}`;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
