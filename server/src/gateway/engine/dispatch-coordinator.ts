import type { AuditOutcome } from '@loopgate/contracts';
import type { BusCommand } from '../bus/command-bus';
import type { ApprovalRequirement } from '../domain/approval-policy';
import { isInQueue, isTerminal, moveTo, type Command } from '../domain/command';
import { auditEntryFor, type AuditDetails } from './audit-entries';
import { commandRecordHash } from './command-hash';
import type { EngineContext } from './context';
import type { DispatchControl } from './dispatch-control';
import { CommandDispatcher, DispatchInterrupted, type DispatchContext } from './dispatcher';
import type { OverrideWatch } from './override-watch';
import type { StoreChange } from './ports';
import type { TargetAvailability } from './target-availability';
import type { TargetStatistics } from './target-statistics';

/** How often a quarantined command's stored state is read: an operator may act through any process. */
const QUARANTINE_POLL_MS = 250;

/**
 * The bus handler: for each delivered command, takes its ordering key (in this process and, through
 * the store, across every process), starts from the stored command and the stored key state, runs
 * the dispatcher and stores what it decided. A command already finished (a redelivery, a duplicate
 * from the relay) does nothing. One code path whether one process or many dispatch from the bus.
 */
export class DispatchCoordinator {
  private readonly dispatcher: CommandDispatcher;
  /** Per ordering key, the dispatch running in this process (a redelivery waits its turn). */
  private readonly keyTurns = new Map<string, Promise<void>>();
  private halt = new AbortController();

  constructor(
    private readonly ctx: EngineContext,
    private readonly control: DispatchControl,
    private readonly overrides: OverrideWatch,
    private readonly stats: TargetStatistics,
    private readonly availability: TargetAvailability,
  ) {
    this.dispatcher = new CommandDispatcher(this.dispatchContext());
  }

  start(): void {
    this.halt = new AbortController();
  }

  /** Ends dispatches waiting on a key claim or a gate. */
  stop(): void {
    this.halt.abort(new DispatchInterrupted());
  }

  /** Resolves once the command is in a terminal state, stored. */
  handle = async (message: BusCommand): Promise<void> => {
    await this.inTurn(message.orderingKey, async () => {
      const claim = await this.ctx.store.claimKey(message.orderingKey, this.halt.signal);
      try {
        const command = await this.ctx.store.findCommand(message.commandId);
        if (!command || isTerminal(command) || command.state === 'pending-approval') return;
        // The last write to the key may be another process's: override detection compares with it.
        await this.overrides.refresh(message.orderingKey);
        await this.dispatch(command);
      } finally {
        // Not awaited: the store orders this process's next claim after the release.
        claim
          .release()
          .catch((error: unknown) =>
            this.ctx.logger.warn(
              `releasing ${message.orderingKey} failed (its session ended): ${(error as Error).message}`,
            ),
          );
      }
    });
  };

  /** Runs `work` after the previous work on `key` in this process has finished. */
  private async inTurn(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.keyTurns.get(key);
    let done!: () => void;
    const turn = new Promise<void>((resolve) => (done = resolve));
    const mine = (previous ?? Promise.resolve()).then(() => turn);
    this.keyTurns.set(key, mine);
    try {
      await previous;
      await work();
    } finally {
      done();
      if (this.keyTurns.get(key) === mine) this.keyTurns.delete(key);
    }
  }

  private async dispatch(command: Command): Promise<void> {
    const runtime = this.ctx.targets.get(command.target.instance);
    if (!runtime) {
      await this.finish(
        command,
        'failed',
        { reasonCode: 'UNKNOWN_TARGET', message: `target ${command.target.instance} is no longer configured` },
        'failed',
      );
      return;
    }
    try {
      await this.dispatcher.dispatch(command, runtime);
    } catch (error) {
      if (error instanceof DispatchInterrupted) throw error;
      this.ctx.logger.error(`dispatch of ${command.id} failed: ${(error as Error).stack ?? String(error)}`);
      throw error;
    }
  }

  private dispatchContext(): DispatchContext {
    return {
      now: () => this.ctx.now(),
      gate: this.control.gate,
      currentControl: () => this.control.current(),
      overrides: this.overrides.tracker,
      isShadow: (instance) => this.control.isShadow(instance),
      save: (command) => this.ctx.journal.save(command),
      audit: async (command, outcome, details) => {
        await this.ctx.journal.append([auditEntryFor(command, outcome, details)]);
      },
      finish: (command, state, patch, outcome, details) => this.finish(command, state, patch, outcome, details),
      overridden: (command, written, found, holdUntil, changedBy) =>
        this.overrides.audit(command, written, found, holdUntil, changedBy),
      noteFailure: (instance, code, message) => this.stats.noteFailure(instance, code, message),
      availability: this.availability,
      claimScope: async (scope) => {
        try {
          return await this.ctx.store.claimKey(`scope:${scope}`, this.halt.signal);
        } catch (error) {
          // Shutdown, or the database is gone: the bus delivers the command again later.
          if (!this.halt.signal.aborted) this.ctx.logger.warn(`claiming ${scope} failed: ${(error as Error).message}`);
          throw new DispatchInterrupted();
        }
      },
      quarantine: (command, message) => this.quarantine(command, message),
      load: (commandId) => this.ctx.store.findCommand(commandId),
      quarantinePollMs: QUARANTINE_POLL_MS,
      holdForApproval: (command, requirement) => this.holdForApproval(command, requirement),
    };
  }

  /** Holds a command the gateway cannot resolve for an operator: stored and audited, its key held. */
  private async quarantine(command: Command, message: string): Promise<Command> {
    const at = new Date(this.ctx.now()).toISOString();
    const held = moveTo(command, 'quarantined', { reasonCode: 'QUARANTINED', message }, at);
    await this.ctx.journal.record(held, 'pending', {
      reasonCode: 'QUARANTINED',
      message: `quarantined: ${message}; the key waits until an operator releases it (write again) or resolves it`,
    });
    this.stats.noteFailure(held.target.instance, 'QUARANTINED', message);
    return held;
  }

  /**
   * Sends a queued command to a signer, as the intake would have had the target answered: it
   * leaves the key's queue and takes its place in the order again once signed.
   */
  private async holdForApproval(command: Command, requirement: ApprovalRequirement): Promise<Command> {
    const now = this.ctx.now();
    const at = new Date(now).toISOString();
    const expiresAt = new Date(
      Math.min(Date.parse(command.notAfter), now + requirement.expiresAfterSeconds * 1000),
    ).toISOString();
    let pending = moveTo(
      command,
      'pending-approval',
      {
        reasonCode: 'APPROVAL_REQUIRED',
        message: `approval required by rule "${requirement.rule}" (step judged at dispatch from the value read at the target)`,
        approval: { rule: requirement.rule, requiresQuality: requirement.requiresQuality, expiresAt },
      },
      at,
    );
    pending = { ...pending, approval: { ...pending.approval!, recordHash: commandRecordHash(pending) } };
    await this.ctx.journal.record(pending, 'pending', {});
    this.stats.finished(pending, isInQueue(command.state));
    this.ctx.observer.refused?.(pending.target.instance, 'APPROVAL_REQUIRED');
    return pending;
  }

  /**
   * A person's revert landed: the AI's writes to the key are held as after an operator's override
   * (the target's `revertHoldSeconds`, else `overrideHoldSeconds`), so the episode just undone is
   * not started again at once.
   */
  private revertHold(command: Command, at: string): string | undefined {
    if (!command.revertOf || command.initiator !== 'human') return undefined;
    const policy = this.ctx.targets.get(command.target.instance)?.policy;
    const seconds = policy?.revertHoldSeconds ?? policy?.overrideHoldSeconds ?? 0;
    return seconds > 0 ? new Date(Date.parse(at) + seconds * 1000).toISOString() : undefined;
  }

  /** Ends a command in a terminal state: stored with its audit record (and the key's last write). */
  async finish(
    command: Command,
    state: Command['state'],
    patch: Partial<Command>,
    outcome: AuditOutcome,
    details: AuditDetails = {},
  ): Promise<Command> {
    const at = new Date(this.ctx.now()).toISOString();
    const done = moveTo(command, state, { decidedAt: command.decidedAt ?? at, ...patch }, at);
    const extra: StoreChange[] = [];
    if (state === 'applied' || state === 'reverted') {
      const writtenAt = done.appliedAt ?? at;
      extra.push({
        kind: 'key-state',
        state: this.overrides.written(done, writtenAt, this.revertHold(done, writtenAt)),
      });
    }
    if (state === 'rejected' && done.reasonCode) this.ctx.observer.refused?.(done.target.instance, done.reasonCode);
    if (state === 'failed' && done.reasonCode)
      this.stats.noteFailure(done.target.instance, done.reasonCode, done.message ?? '');
    await this.ctx.journal.record(done, outcome, details, { extra });
    this.stats.finished(done, isInQueue(command.state));
    const latency = done.appliedAt
      ? Date.parse(done.appliedAt) - Date.parse(done.eventTime ?? done.receivedAt)
      : undefined;
    this.ctx.observer.finished?.(done, latency);
    return done;
  }
}
