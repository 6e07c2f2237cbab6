import type { ParameterValue, WriteBackRequest } from '@loopgate/contracts';
import { v7 as uuidv7 } from 'uuid';
import { UserError } from '../../common/errors';
import { orderingKeyOf } from '../bus/command-bus';
import { approvalNeedsPrior, requiredApproval } from '../domain/approval-policy';
import { toOutcome, type Command } from '../domain/command';
import {
  checkBounds,
  checkExpiry,
  checkInterlock,
  effectiveNotAfter,
  admissionLimits,
  AdmissionRefusedError,
  admissionRefusal,
  admissionTime,
  checkStep,
  configuredBaseline,
  driftLimits,
  driftRefusal,
  matchingLimits,
  subjectOf,
  type Admission,
  type AdmissionLimit,
  type Refusal,
} from '../domain/guardrails';
import { canonicalJson } from '../domain/audit-chain';
import { commandRecordHash } from './command-hash';
import { iso, type Actor, type EngineContext, type SubmitResult } from './context';
import type { OverrideWatch } from './override-watch';
import { CommandConflictError, type TargetRuntime } from './ports';
import type { TargetStatistics } from './target-statistics';
import { commandMismatch } from '../../targets/describe';

/**
 * Requests coming in: each `requestId` is accepted once; the guardrails that need no value from the
 * target refuse at once, approval rules make a command wait for a person, the rest is queued with
 * its audit record and outbox row in one transaction. A revert is a request the gateway makes.
 */
export class Intake {
  private readonly inflight = new Map<string, Promise<SubmitResult>>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly overrides: OverrideWatch,
    private readonly stats: TargetStatistics,
    private readonly revertTtlSeconds = 300,
  ) {}

  /**
   * Accepts a request once: a second request with the same `requestId` from the same caller returns
   * the first command; another caller's id is refused (REQUEST_ID_TAKEN), never answered with their command.
   */
  async submit(request: WriteBackRequest, actor: Actor, revertOf?: Command): Promise<SubmitResult> {
    const slot = `${revertOf ? '' : actor.id}\u0000${request.requestId}`;
    const running = this.inflight.get(slot);
    if (running) return { created: false, outcome: (await running).outcome };
    const promise = this.accept(request, actor, revertOf);
    this.inflight.set(slot, promise);
    try {
      return await promise;
    } finally {
      this.inflight.delete(slot);
    }
  }

  /**
   * Writes an applied command's prior value back through the same ordered path, as a new command
   * linked to the original (`revertOf` / `revertedBy`). Reverting twice returns the first revert.
   */
  async revert(commandId: string, reason: string, actor: Actor): Promise<SubmitResult> {
    const original = await this.ctx.store.findCommand(commandId);
    if (!original) throw new UserError('NOT_FOUND', `no command ${commandId}`, 404);
    if (original.revertedBy) {
      const revert = await this.ctx.store.findCommand(original.revertedBy);
      if (revert) return { created: false, outcome: toOutcome(revert) };
    }
    if ((original.state !== 'applied' && original.state !== 'reverted') || original.action !== 'set-parameter') {
      throw new UserError(
        'NOT_REVERTIBLE',
        `command ${commandId} is ${original.state} (${original.action}); only applied parameter writes can be reverted`,
        409,
      );
    }
    if (original.priorValue === undefined || original.priorValue === null) {
      throw new UserError('NOT_REVERTIBLE', `command ${commandId} has no prior value to write back`, 409);
    }
    return this.revertWith(original, original.priorValue, `revert:${original.id}`, reason, actor, [original]);
  }

  /**
   * Writes `value` back to `latest`'s key as a person's revert of `latest`, through the ordered path;
   * every command in `covered` is linked to it (`revertedBy`) once it is created.
   */
  async revertWith(
    latest: Command,
    value: ParameterValue,
    requestId: string,
    reason: string,
    actor: Actor,
    covered: Command[],
  ): Promise<SubmitResult> {
    const request: WriteBackRequest = {
      requestId,
      lineage: latest.lineage,
      target: latest.target,
      object: latest.object,
      action: 'set-parameter',
      ...(latest.parameter !== undefined ? { parameter: latest.parameter } : {}),
      value,
      reason,
      notAfter: new Date(this.ctx.now() + this.revertTtlSeconds * 1000).toISOString(),
      initiator: 'human',
    };
    const result = await this.submit(request, actor, latest);
    if (result.created) {
      const at = new Date(this.ctx.now()).toISOString();
      for (const command of covered)
        await this.ctx.journal.save({ ...command, revertedBy: result.outcome.commandId, updatedAt: at });
    }
    return result;
  }

  private async accept(request: WriteBackRequest, actor: Actor, revertOf?: Command): Promise<SubmitResult> {
    const existing = await this.ctx.store.findCommandByRequestId(request.requestId);
    if (existing) return { created: false, outcome: toOutcome(this.ownedBy(existing, actor, revertOf)) };
    try {
      return await this.acceptNew(request, actor, revertOf);
    } catch (error) {
      // Another gateway process stored the same requestId at the same moment: its command is the one.
      // When the store cannot say (it is down), the original failure is the answer.
      const winner = await this.ctx.store.findCommandByRequestId(request.requestId).catch(() => undefined);
      if (winner) return { created: false, outcome: toOutcome(this.ownedBy(winner, actor, revertOf)) };
      throw error;
    }
  }

  /** The stored command of a repeated request id, when the same caller sent it (reverts: any person). */
  private ownedBy(existing: Command, actor: Actor, revertOf?: Command): Command {
    if (revertOf || existing.requestedBy === actor.id) return existing;
    throw new UserError('REQUEST_ID_TAKEN', `request id ${existing.requestId} was used by another caller`, 409);
  }

  /** A request seen for the first time: refused, pending approval or queued, and stored. */
  private async acceptNew(request: WriteBackRequest, actor: Actor, revertOf?: Command): Promise<SubmitResult> {
    const now = this.ctx.now();
    const at = new Date(now).toISOString();
    const runtime = this.ctx.targets.get(request.target.instance);
    const orderingKey = orderingKeyOf(
      request.target.instance,
      request.object.type,
      request.object.id,
      request.parameter,
    );
    let command: Command = {
      // Time-ordered ids keep inserts at the right edge of the primary-key index.
      id: uuidv7(),
      requestId: request.requestId,
      state: 'queued',
      target: request.target,
      object: request.object,
      action: request.action,
      ...(request.parameter !== undefined ? { parameter: request.parameter } : {}),
      ...(request.value !== undefined ? { value: request.value } : {}),
      ...(request.details ? { details: request.details } : {}),
      orderingKey,
      reason: request.reason,
      notAfter: runtime
        ? effectiveNotAfter(runtime.policy, request.notAfter, now)
        : new Date(request.notAfter).toISOString(),
      // Set by the service layer from who authenticated; engine callers (the gateway's own) name it.
      initiator: request.initiator ?? 'ai',
      requestedBy: actor.id,
      lineage: request.lineage ?? {},
      ...(revertOf ? { revertOf: revertOf.id } : {}),
      attempts: 0,
      ...(request.eventTime ? { eventTime: new Date(request.eventTime).toISOString() } : {}),
      receivedAt: at,
      updatedAt: at,
    };

    if (runtime && command.initiator === 'ai' && !revertOf) await this.overrides.refresh(orderingKey);
    // Earned autonomy: the scope's level goes with the decision into every audit record.
    const autonomy =
      runtime && command.initiator === 'ai' && !revertOf ? await this.ctx.autonomy?.judge(command, request) : undefined;
    if (autonomy?.level)
      command = {
        ...command,
        lineage: { ...command.lineage, autonomyLevel: autonomy.level, autonomyScope: autonomy.scope },
      };
    // Rate and cooldown: read here from the store so nobody is asked to sign a write the key cannot
    // take; judged again, under the store's lock, in the transaction that queues the command.
    const limits: AdmissionLimit[] = runtime && !revertOf ? admissionLimits(runtime.policy, subjectOf(command)) : [];
    const drifts = runtime ? driftLimits(runtime.policy, subjectOf(command)) : [];
    const watched = runtime?.policy.limits.some((l) => l.maxDrift !== undefined || l.maxDriftPercent !== undefined);
    const stored =
      limits.length > 0 || drifts.length > 0 ? await this.ctx.store.admissionState(orderingKey) : undefined;
    let refusal =
      this.refusal(command, runtime, now) ??
      autonomy?.refusal ??
      (stored && limits.length > 0
        ? admissionRefusal(stored.times, limits, admissionTime(stored.times, limits, now))
        : undefined);
    // Drift budget: how far this AI episode has moved the value from where it started.
    let drift: Admission['drift'];
    let driftApproval: { rule: string; requiresQuality: boolean; expiresAfterSeconds: number } | undefined;
    if (!refusal && drifts.length > 0 && runtime && typeof command.value === 'number') {
      const open = stored?.baseline && stored.baseline.until > now ? stored.baseline.value : undefined;
      const baseline =
        open ??
        configuredBaseline(runtime.policy, subjectOf(command)) ??
        numberOrUndefined((await this.readQuietly(runtime, command))?.value);
      const exceeded = driftRefusal(baseline, command.value, drifts);
      if (exceeded?.action === 'refuse') refusal = { code: exceeded.code, message: exceeded.message };
      else if (exceeded)
        driftApproval = {
          rule: `drift budget (${exceeded.message})`,
          requiresQuality: false,
          expiresAfterSeconds: 3600,
        };
      else if (baseline !== undefined) drift = { value: command.value, baseline, limits: drifts };
    }
    if (refusal) return this.refuse(command, refusal, actor);
    const target = runtime as TargetRuntime;
    if (autonomy?.level === 'shadow') return this.shadow(command, autonomy.scope ?? '', actor);

    if (!revertOf) {
      const subject = subjectOf(command);
      let prior: { value: ParameterValue | null | undefined } | undefined;
      if (approvalNeedsPrior(target.approvals, subject) && command.parameter !== undefined) {
        prior = await this.readQuietly(target, command);
      }
      const approval = requiredApproval(target.approvals, subject, prior) ?? autonomy?.approval ?? driftApproval;
      if (approval) {
        // Nobody is asked to sign a step the hard stop would refuse after the signature: with the
        // value read now, the step is judged first (judged again at dispatch, on the value then).
        const stepped = matchingLimits(target.policy, subject).some(
          (l) => l.maxStep !== undefined || l.maxStepPercent !== undefined,
        );
        if (stepped && command.parameter !== undefined) {
          prior ??= await this.readQuietly(target, command);
          const tooLarge =
            prior && prior.value !== undefined ? checkStep(target.policy, subject, prior.value) : undefined;
          if (tooLarge) return this.refuse(command, tooLarge, actor);
        }
        const waiting = command.initiator === 'ai' ? await this.alreadyWaiting(command) : undefined;
        if (waiting) return waiting;
        const expiresAt = new Date(
          Math.min(Date.parse(command.notAfter), now + approval.expiresAfterSeconds * 1000),
        ).toISOString();
        command = {
          ...command,
          state: 'pending-approval',
          reasonCode: 'APPROVAL_REQUIRED',
          message: `approval required by rule "${approval.rule}"`,
          ...(prior && prior.value !== undefined ? { priorValue: prior.value } : {}),
          approval: { rule: approval.rule, requiresQuality: approval.requiresQuality, expiresAt },
        };
        command = { ...command, approval: { ...command.approval!, recordHash: commandRecordHash(command) } };
        await this.ctx.journal.record(command, 'pending', { actor: actor.id });
        this.ctx.observer.refused?.(command.target.instance, 'APPROVAL_REQUIRED');
        return { created: true, outcome: toOutcome(command) };
      }
    }

    command = { ...command, decidedAt: at };
    // A person's write on a key with a drift budget ends the AI episode there.
    const endEpisode = watched === true && command.initiator === 'human';
    // An AI write is judged against the key's stored override hold in the accepting transaction, so an
    // override another gateway process saw holds here too.
    const heldByOverride = command.initiator === 'ai' && !revertOf;
    const admission =
      limits.length > 0 || drift || endEpisode || heldByOverride
        ? [
            {
              kind: 'admit' as const,
              admission: {
                key: orderingKey,
                time: this.ctx.now(),
                limits,
                ...(drift ? { drift } : {}),
                ...(endEpisode ? { endEpisode } : {}),
                ...(heldByOverride ? { heldByOverride } : {}),
              },
            },
          ]
        : [];
    try {
      await this.ctx.journal.record(command, 'accepted', { actor: actor.id }, { enqueue: true, extra: admission });
    } catch (error) {
      // Another request (in this process or another) took the key's last place first.
      if (error instanceof AdmissionRefusedError) return this.refuse(command, error.refusal, actor);
      throw error;
    }
    this.stats.queued(command);
    return { created: true, outcome: toOutcome(command) };
  }

  /**
   * The same AI proposal (same caller, key, action, value and details) already waiting for a
   * signature: a person is asked once per change, not once per request. The waiting command counts
   * the repeat (`approval.asked`, `lastAskedAt`) and is the answer; once it is decided or expired,
   * the next proposal waits anew.
   */
  private async alreadyWaiting(command: Command): Promise<SubmitResult | undefined> {
    const now = this.ctx.now();
    const same = (await this.ctx.store.findPendingOnKey(command.orderingKey)).find(
      (p) =>
        p.requestedBy === command.requestedBy &&
        p.initiator === 'ai' &&
        p.action === command.action &&
        canonicalJson(p.value ?? null) === canonicalJson(command.value ?? null) &&
        canonicalJson(p.details ?? null) === canonicalJson(command.details ?? null) &&
        p.approval !== undefined &&
        Date.parse(p.approval.expiresAt) > now,
    );
    if (!same?.approval) return undefined;
    const at = new Date(now).toISOString();
    const repeated: Command = {
      ...same,
      approval: { ...same.approval, asked: (same.approval.asked ?? 1) + 1, lastAskedAt: at },
      updatedAt: at,
    };
    try {
      await this.ctx.journal.save(repeated, 'pending-approval');
    } catch (error) {
      // Signed, rejected or expired a moment ago: this proposal waits on its own.
      if (error instanceof CommandConflictError) return undefined;
      throw error;
    }
    return { created: false, outcome: toOutcome(repeated) };
  }

  /** Stores and audits a refusal: expired, or rejected with the guardrail's code. */
  private async refuse(command: Command, refusal: Refusal, actor: Actor): Promise<SubmitResult> {
    const state = refusal.code === 'EXPIRED' ? 'expired' : 'rejected';
    const refused: Command = {
      ...command,
      state,
      reasonCode: refusal.code,
      message: refusal.message,
      decidedAt: iso(this.ctx),
    };
    await this.ctx.journal.record(refused, state, { actor: actor.id });
    this.ctx.observer.refused?.(refused.target.instance, refusal.code);
    this.ctx.observer.finished?.(refused, undefined);
    // Advice to the caller, not part of the record: when the limit lets the same write through again.
    const blockedUntil = refusal.blockedUntil !== undefined ? new Date(refusal.blockedUntil).toISOString() : undefined;
    return { created: true, outcome: { ...toOutcome(refused), ...(blockedUntil ? { blockedUntil } : {}) } };
  }

  /** A decision of a scope still in shadow: stored and audited, never written. */
  private async shadow(command: Command, scope: string, actor: Actor): Promise<SubmitResult> {
    const at = iso(this.ctx);
    const message = `autonomy level shadow (${scope}): decided and audited, nothing written`;
    const shadow: Command = { ...command, state: 'shadow', reasonCode: 'SHADOW_MODE', message, decidedAt: at };
    await this.ctx.journal.record(shadow, 'shadow', { actor: actor.id });
    this.ctx.observer.finished?.(shadow, undefined);
    return { created: true, outcome: toOutcome(shadow) };
  }

  /** The guardrails that need no value from the target; checked before anything is queued. */
  private refusal(command: Command, runtime: TargetRuntime | undefined, now: number): Refusal | undefined {
    if (!runtime) {
      return { code: 'UNKNOWN_TARGET', message: `no target instance "${command.target.instance}" is configured` };
    }
    if (runtime.kind !== command.target.kind) {
      return {
        code: 'UNKNOWN_TARGET',
        message: `target instance "${runtime.instance}" is a ${runtime.kind}, not a ${command.target.kind}`,
      };
    }
    if (!runtime.adapter.capabilities.actions.includes(command.action)) {
      return { code: 'UNSUPPORTED_ACTION', message: `${runtime.instance} does not support ${command.action}` };
    }
    const mismatch = runtime.adapter.description && commandMismatch(runtime.adapter.description, command);
    if (mismatch) {
      const code = mismatch.code === 'INVALID_COMMAND' ? 'INVALID_COMMAND' : 'UNSUPPORTED_ACTION';
      return { code, message: `${runtime.instance}: ${mismatch.message}` };
    }
    const subject = subjectOf(command);
    const held = this.overrides.tracker;
    return (
      checkExpiry(command.notAfter, now) ??
      checkInterlock(runtime.policy, subject) ??
      checkBounds(runtime.policy, subject) ??
      (command.initiator === 'ai' && !subject.isRevert && held.isHeld(command.orderingKey, now)
        ? this.holdRefusal(command.orderingKey)
        : undefined)
    );
  }

  private holdRefusal(orderingKey: string): Refusal {
    const holdUntil = this.overrides.tracker.get(orderingKey)?.holdUntil;
    const until = holdUntil ? Date.parse(holdUntil) : NaN;
    return {
      code: 'OVERRIDE_HOLD',
      message: `an operator overrode or reverted this value; AI writes are held until ${holdUntil}`,
      ...(Number.isFinite(until) ? { blockedUntil: until, retryAfterMs: Math.max(0, until - this.ctx.now()) } : {}),
    };
  }

  /** Reads the current value for an approval decision; unknown when the target does not answer. */
  private async readQuietly(
    runtime: TargetRuntime,
    command: Command,
  ): Promise<{ value: ParameterValue | null | undefined } | undefined> {
    try {
      const result = await runtime.adapter.read({
        object: command.object,
        ...(command.parameter ? { parameter: command.parameter } : {}),
      });
      return { value: result.value };
    } catch (error) {
      this.stats.noteFailure(runtime.instance, 'PRIOR_READ_FAILED', (error as Error).message);
      return undefined;
    }
  }
}

function numberOrUndefined(value: ParameterValue | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
