import type { ElectronicSignature, WriteBackOutcome } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import { moveTo, toOutcome, type Command } from '../domain/command';
import { admissionLimits, AdmissionRefusedError, subjectOf } from '../domain/guardrails';
import type { Actor, EngineContext } from './context';
import { CommandConflictError } from './ports';
import type { TargetStatistics } from './target-statistics';

/**
 * Signatures on commands that wait for a person: who may sign, recording one decision (here or in
 * any other gateway process, the first stored wins), and the expiry of unsigned commands.
 */
export class Approvals {
  /** Commands a signer is deciding now in this process, so a second signature or the sweep does not race it. */
  private readonly deciding = new Set<string>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly stats: TargetStatistics,
  ) {}

  /** Commands waiting for a signature, oldest first. */
  pending(): Promise<Command[]> {
    return this.ctx.store.findCommandsInState('pending-approval');
  }

  /**
   * Checks that `actor` may sign `commandId` before the password is checked: the command waits,
   * the signer is not the requester of a human-initiated change, QA rules need a QA signer.
   */
  async checkSigner(commandId: string, actor: Actor): Promise<Command> {
    const command = await this.ctx.store.findCommand(commandId);
    if (!command) throw new UserError('NOT_FOUND', `no command ${commandId}`, 404);
    if (command.state !== 'pending-approval' || !command.approval) {
      throw new UserError('NOT_PENDING', `command ${commandId} is ${command.state}, not waiting for approval`, 409);
    }
    if (command.requestedBy === actor.id) {
      throw new UserError('SELF_APPROVAL', 'the requester of a change cannot sign it', 403);
    }
    if (command.approval.requiresQuality && !actor.permissions.includes('writeback:approve-quality')) {
      throw new UserError('QUALITY_APPROVAL_REQUIRED', `rule "${command.approval.rule}" needs a QA signature`, 403);
    }
    if (Date.parse(command.approval.expiresAt) <= this.ctx.now()) {
      await this.expire(command);
      throw new UserError('APPROVAL_EXPIRED', `the approval window closed at ${command.approval.expiresAt}`, 409);
    }
    return command;
  }

  /**
   * Records a signature: `approved` queues the command in order, `rejected` ends it. Only one
   * decision lands: a second one (here or in another gateway process) is refused as NOT_PENDING.
   */
  async decide(
    commandId: string,
    actor: Actor,
    signature: ElectronicSignature,
    comment?: string,
  ): Promise<WriteBackOutcome> {
    if (this.deciding.has(commandId)) {
      throw new UserError('NOT_PENDING', `command ${commandId} is being decided by another signer`, 409);
    }
    this.deciding.add(commandId);
    try {
      return await this.record(commandId, actor, signature, comment);
    } catch (error) {
      if (error instanceof CommandConflictError) {
        throw new UserError('NOT_PENDING', `command ${commandId} is ${error.found}, not waiting for approval`, 409);
      }
      throw error;
    } finally {
      this.deciding.delete(commandId);
    }
  }

  private async record(
    commandId: string,
    actor: Actor,
    signature: ElectronicSignature,
    comment?: string,
  ): Promise<WriteBackOutcome> {
    const command = await this.checkSigner(commandId, actor);
    const at = new Date(this.ctx.now()).toISOString();
    const approval = { ...command.approval!, signature: { ...signature, ...(comment ? { comment } : {}) } };
    if (signature.meaning === 'approved') {
      const queued = moveTo(
        command,
        'queued',
        { approval, decidedAt: at, reasonCode: undefined, message: comment },
        at,
      );
      // The key's rate and cooldown count the write when it is queued, judged on the stored times.
      const runtime = this.ctx.targets.get(queued.target.instance);
      const limits = runtime && !queued.revertOf ? admissionLimits(runtime.policy, subjectOf(queued)) : [];
      // A signature is a person's decision: the AI episode on the key (and its drift baseline) ends.
      const endEpisode =
        runtime?.policy.limits.some((l) => l.maxDrift !== undefined || l.maxDriftPercent !== undefined) ?? false;
      const admission =
        limits.length > 0 || endEpisode
          ? [
              {
                kind: 'admit' as const,
                admission: {
                  key: queued.orderingKey,
                  time: this.ctx.now(),
                  limits,
                  ...(endEpisode ? { endEpisode } : {}),
                },
              },
            ]
          : [];
      try {
        await this.ctx.journal.record(
          queued,
          'approved',
          { actor: actor.id, signature, reasonCode: undefined, message: comment ?? 'approved' },
          { enqueue: true, expectState: 'pending-approval', extra: admission },
        );
      } catch (error) {
        if (!(error instanceof AdmissionRefusedError)) throw error;
        const refused = moveTo(
          command,
          'rejected',
          {
            approval,
            decidedAt: at,
            reasonCode: error.refusal.code,
            message: `signed, but the key cannot take it now: ${error.refusal.message}`,
          },
          at,
        );
        await this.ctx.journal.record(
          refused,
          'rejected',
          { actor: actor.id, signature },
          { expectState: 'pending-approval' },
        );
        this.ctx.observer.finished?.(refused, undefined);
        return toOutcome(refused);
      }
      this.stats.queued(queued);
      return toOutcome(queued);
    }
    const rejected = moveTo(
      command,
      'rejected',
      { approval, decidedAt: at, reasonCode: 'APPROVAL_REJECTED', message: comment ?? 'rejected by signer' },
      at,
    );
    await this.ctx.journal.record(
      rejected,
      'rejected',
      { actor: actor.id, signature },
      { expectState: 'pending-approval' },
    );
    this.ctx.observer.finished?.(rejected, undefined);
    return toOutcome(rejected);
  }

  /** Ends every pending approval whose window closed (unless a signer is deciding it here). */
  async expireDue(): Promise<void> {
    const now = this.ctx.now();
    for (const command of await this.pending()) {
      if (this.deciding.has(command.id)) continue;
      if (command.approval && Date.parse(command.approval.expiresAt) <= now) {
        try {
          await this.expire(command);
        } catch (error) {
          this.ctx.logger.error(`expiring approval of ${command.id} failed: ${(error as Error).message}`);
        }
      }
    }
  }

  /** Ends a pending approval as expired, unless a signer (here or in another process) decided it first. */
  private async expire(command: Command): Promise<void> {
    const at = new Date(this.ctx.now()).toISOString();
    const expired = moveTo(
      command,
      'expired',
      { reasonCode: 'APPROVAL_EXPIRED', message: 'no signature before the approval window closed', decidedAt: at },
      at,
    );
    try {
      await this.ctx.journal.record(expired, 'expired', {}, { expectState: 'pending-approval' });
    } catch (error) {
      if (error instanceof CommandConflictError) return;
      throw error;
    }
    this.ctx.observer.refused?.(expired.target.instance, 'APPROVAL_EXPIRED');
    this.ctx.observer.finished?.(expired, undefined);
  }
}
