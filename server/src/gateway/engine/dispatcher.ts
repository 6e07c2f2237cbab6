import type { AuditOutcome, CommandState, ParameterValue, ReasonCode } from '@loopgate/contracts';
import {
  TargetError,
  type ExpectedReadBack,
  type ReadResult,
  type TargetAddress,
  type TargetLock,
  type TargetWrite,
  type WriteResult,
} from '../../targets/adapter';
import { lockIfNeeded, lockScopeOf, readBackOf, releaseIfHeld } from '../../targets/write-cycle';
import { stepApprovalAtDispatch, type ApprovalRequirement } from '../domain/approval-policy';
import type { Command } from '../domain/command';
import type { ControlGate } from '../domain/control-gate';
import { checkExpiry, checkRecordState, checkStep, subjectOf } from '../domain/guardrails';
import type { OverrideTracker } from '../domain/override-detection';
import {
  classifyFailure,
  nextStep,
  NotConfirmedError,
  processingStrategyOf,
  type ProcessingStrategy,
} from '../domain/retry-policy';
import { valuesEqual } from '../domain/values';
import type { AuditDetails } from './audit-entries';
import type { KeyClaim, TargetRuntime } from './ports';

/** Thrown when dispatch must end without a target outcome: the gateway is shutting down. */
export class DispatchInterrupted extends Error {
  constructor() {
    super('dispatch interrupted by shutdown');
    this.name = 'DispatchInterrupted';
  }
}

/** A command ran out of time while waiting (pause, kill switch, backoff): expired, never applied late. */
class ExpiredWhileWaiting extends Error {
  constructor(
    readonly notAfter: string,
    waitingFor?: string,
  ) {
    super(`not applied before ${notAfter}; dropped as stale${waitingFor ? ` (was ${waitingFor})` : ''}`);
  }
}

/** Attempts ran out under the processing strategy. */
class GaveUp extends Error {
  constructor(
    readonly code: ReasonCode,
    message: string,
  ) {
    super(message);
  }
}

/** The gateway cannot resolve the command by itself: it goes to quarantine for an operator. */
class QuarantineNeeded extends Error {}

/** Attempts spent and waits so far, and what the command is waiting for (audited once per reason). */
interface Tries {
  spent: number;
  waits: number;
  waitingFor?: string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Ends dispatch at once: shutdown, a refusal, stale, or out of attempts. */
function isFinal(error: unknown): boolean {
  return (
    error instanceof DispatchInterrupted ||
    error instanceof DispatchRefusal ||
    error instanceof ExpiredWhileWaiting ||
    error instanceof GaveUp ||
    error instanceof QuarantineNeeded
  );
}

/**
 * Whether a failed attempt may have changed the target: the write's answer was lost (`unknown`), or
 * the write was acknowledged and the read meant to confirm it failed. A read that answered with
 * another value (`NotConfirmedError`) is known: the write did not hold.
 */
function mayHaveLanded(phase: AttemptPhase, error: unknown): boolean {
  if (phase === 'lock') return false;
  if (phase === 'confirm') return !(error instanceof NotConfirmedError) && classifyFailure(error).retry;
  const failure = classifyFailure(error);
  return failure.retry && failure.readFirst;
}

/** What a waiting command waits for, in words an operator reads in the audit. */
function waitReason(error: unknown): { code: ReasonCode; message: string } {
  if (error instanceof TargetError && error.kind === 'locked') {
    return {
      code: 'LOCK_UNAVAILABLE',
      message: error.heldBy ? `waiting for lock held by ${error.heldBy}` : `waiting for the lock (${error.code})`,
    };
  }
  return { code: 'TARGET_UNAVAILABLE', message: `waiting for the target to answer (${messageOf(error)})` };
}

/** A refusal decided during dispatch (record locked, step, hold): final, not retried. */
class DispatchRefusal extends Error {
  constructor(
    readonly state: CommandState,
    readonly code: ReasonCode,
    message: string,
  ) {
    super(message);
  }
}

/** What the dispatcher needs from the engine. */
export interface DispatchContext {
  now(): number;
  gate: ControlGate;
  /** Reads the stored control state (stop, pause) before an attempt: another process may have changed it. */
  currentControl(): Promise<void>;
  overrides: OverrideTracker;
  isShadow(instance: string): boolean;
  /** Stores the command, keeps it as the current version, tells observers. */
  save(command: Command): Promise<Command>;
  /** Appends an audit record about `command` without changing it. */
  audit(command: Command, outcome: AuditOutcome, details: AuditDetails): Promise<void>;
  /** Ends a command in a terminal state, audited. */
  finish(
    command: Command,
    state: CommandState,
    patch: Partial<Command>,
    outcome: AuditOutcome,
    details?: AuditDetails,
  ): Promise<Command>;
  /** Someone else changed a value the gateway wrote (`changedBy` where the target says who): audited as `overridden`. */
  overridden(
    command: Command,
    written: ParameterValue | null,
    found: ParameterValue | null,
    holdUntil?: string,
    changedBy?: string,
  ): Promise<void>;
  noteFailure(instance: string, code: string, message: string): void;
  /** Outage signals and answers per target: consecutive outages mark it down, an answer marks it up. */
  availability: { outage(instance: string, reason: string): void; success(instance: string): void };
  /**
   * Holds a target's lock scope (the record it locks as a whole) across every gateway process on the
   * store while one write under it runs, so two processes writing two parameters of one record take
   * turns instead of contending for the MES lock. Throws `DispatchInterrupted` at shutdown.
   */
  claimScope(scope: string): Promise<KeyClaim>;
  /** Moves the command to `quarantined` with its audit record; an operator releases or resolves it. */
  quarantine(command: Command, message: string): Promise<Command>;
  /** The stored command: what an operator did to it, through any gateway process. */
  load(commandId: string): Promise<Command | undefined>;
  /** How often a quarantined command's stored state is read while it waits for an operator. */
  quarantinePollMs: number;
  /** A step approval rule matched at dispatch: the command leaves its key's queue to wait for a signature. */
  holdForApproval(command: Command, requirement: ApprovalRequirement): Promise<Command>;
}

const CREATE_ACTIONS = new Set(['create-maintenance-work-order', 'create-quality-event']);

/** Where a write attempt was when it failed: what the failure says about whether the write landed. */
type AttemptPhase = 'lock' | 'write' | 'confirm';

/**
 * Applies one command to its target: gate, expiry, prior read, override detection, step check,
 * shadow, then the write under the target's processing strategy (`ProcessingStrategy`): an outage
 * or a lock someone else holds waits (the key's queue holds) until the target answers or
 * `notAfter` passes; a write that may have landed is `reconciling`, read with backoff and never
 * written again until a read tells; confirmation by read-back. Resolves with the command in a
 * terminal state, stored, or `pending-approval` when a step approval rule matched the value read.
 */
export class CommandDispatcher {
  constructor(private readonly ctx: DispatchContext) {}

  async dispatch(initial: Command, runtime: TargetRuntime): Promise<Command> {
    let command = initial;
    const strategy = runtime.processing ?? processingStrategyOf(undefined, runtime.policy.retry);
    const tries: Tries = { spent: 0, waits: 0 };
    try {
      // Quarantined before a restart: it still waits for an operator and holds its key.
      if (command.state === 'quarantined') return await this.awaitOperator(command, runtime);
      await this.waitGate(command);
      const write = this.targetWrite(command);
      const isCreate = CREATE_ACTIONS.has(command.action);
      const expected = isCreate ? null : this.expectedOf(runtime, write);

      // A write was sent before (a restart, or a reconciliation cut short): the outcome is unknown until read.
      if (command.attempts > 0 || command.state === 'reconciling') {
        const known = await this.reconcile(command, runtime, strategy, write, expected, 'a write was sent before');
        command = known.command;
        if (known.landed) return await this.applied(command, runtime, known.landed, command.priorValue);
      }
      if (checkExpiry(command.notAfter, this.ctx.now())) throw new ExpiredWhileWaiting(command.notAfter);

      if (expected) {
        const read = await this.persistently(runtime, command, strategy, tries, () =>
          runtime.adapter.read(expected.address),
        );
        command = { ...command, priorValue: read.value };
        await this.decideOnPrior(command, runtime, read);
      }
      // Step approval rules from the value just read: also those the intake could not judge (no answer at submit).
      if (command.approval === undefined && command.revertOf === undefined) {
        const requirement = stepApprovalAtDispatch(runtime.approvals, subjectOf(command), {
          value: command.priorValue,
        });
        if (requirement) return await this.ctx.holdForApproval(command, requirement);
      }

      if (this.ctx.isShadow(runtime.instance)) {
        const at = this.iso();
        return await this.ctx.finish(
          command,
          'shadow',
          { reasonCode: 'SHADOW_MODE', decidedAt: command.decidedAt ?? at },
          'shadow',
          {
            reasonCode: 'SHADOW_MODE',
            message: 'shadow mode: decided and audited, nothing written',
          },
        );
      }

      for (;;) {
        await this.waitGate(command);
        if (checkExpiry(command.notAfter, this.ctx.now())) {
          throw new ExpiredWhileWaiting(command.notAfter, tries.waitingFor);
        }
        let phase: AttemptPhase = 'lock';
        let lock: TargetLock | undefined;
        // Only targets whose lock covers the whole record: their parameters' keys share one scope.
        let scope =
          runtime.adapter.capabilities.lockScope === 'object' ? await this.claimScopeOf(runtime, write) : undefined;
        try {
          lock = await this.acquireLock(runtime, write);
          // Durable before the write is sent, so a restart knows to read before writing again.
          command = await this.ctx.save({
            ...command,
            state: 'dispatching',
            attempts: command.attempts + 1,
            updatedAt: this.iso(),
          });
          phase = 'write';
          if (expected) this.ctx.overrides.recordSent(command.orderingKey, expected.value, command.id);
          const written = await runtime.adapter.write({ ...write, ...(lock ? { lock } : {}) });
          phase = 'confirm';
          const result = await this.confirm(runtime, write, expected, written);
          this.ctx.availability.success(runtime.instance);
          return await this.applied(command, runtime, result, command.priorValue);
        } catch (error) {
          if (isFinal(error)) throw error;
          if (lock) {
            // Reconciling only reads, and waiting must not keep the record from the operator console.
            await this.releaseLock(runtime, write, lock);
            lock = undefined;
          }
          // Nor from this gateway's other processes.
          await this.releaseScope(runtime, scope);
          scope = undefined;
          let failure = error;
          if (mayHaveLanded(phase, error)) {
            const why =
              phase === 'confirm'
                ? `the write was acknowledged but the confirming read failed: ${messageOf(error)}`
                : `the answer to the write was lost: ${messageOf(error)}`;
            const known = await this.reconcile(command, runtime, strategy, write, expected, why);
            command = known.command;
            if (known.landed) return await this.applied(command, runtime, known.landed, command.priorValue);
            // Read and not there: this attempt did not land, so writing again cannot apply it twice.
            failure = new NotConfirmedError('the target shows the write did not land');
          }
          await this.afterFailure(runtime, command, strategy, tries, failure);
        } finally {
          if (lock) await this.releaseLock(runtime, write, lock);
          await this.releaseScope(runtime, scope);
        }
      }
    } catch (error) {
      if (error instanceof QuarantineNeeded || (error instanceof GaveUp && strategy.giveUp === 'quarantine')) {
        return await this.awaitOperator(await this.ctx.quarantine(command, error.message), runtime);
      }
      return await this.failed(command, error);
    }
  }

  /**
   * Holds the key until an operator acts on the quarantined command (through any process): released,
   * it is dispatched again; resolved, it is already stored in its terminal state.
   */
  private async awaitOperator(held: Command, runtime: TargetRuntime): Promise<Command> {
    for (;;) {
      if ((await this.ctx.gate.sleep(this.ctx.quarantinePollMs)) === 'closed') throw new DispatchInterrupted();
      const stored = await this.ctx.load(held.id);
      if (!stored || stored.state === 'quarantined') continue;
      if (stored.state === 'queued') return this.dispatch(stored, runtime);
      return stored;
    }
  }

  /**
   * Reads the target until it tells whether the write landed; nothing is written meanwhile and
   * `notAfter` does not end it (the value may be there). Stored as `reconciling` so the console shows
   * it and a restart reads again; resolves with the result when it landed, `null` when it did not.
   */
  private async reconcile(
    initial: Command,
    runtime: TargetRuntime,
    strategy: ProcessingStrategy,
    write: TargetWrite,
    expected: ExpectedReadBack | null,
    why: string,
  ): Promise<{ command: Command; landed: WriteResult | null }> {
    let command = initial;
    let reads = 0;
    // A command already reconciling (a restart, another process taking the key over) keeps the time it
    // began: the limit counts from there, not from this process's first look.
    const since = initial.state === 'reconciling' ? Date.parse(initial.updatedAt) : NaN;
    const started = Number.isFinite(since) ? Math.min(since, this.ctx.now()) : this.ctx.now();
    for (;;) {
      try {
        const landed = await this.checkLanded(runtime, command, write, expected);
        this.ctx.availability.success(runtime.instance);
        if (command.state === 'reconciling' && !landed && (expected || CREATE_ACTIONS.has(write.action))) {
          await this.ctx.audit(command, 'retried', {
            reasonCode: 'OUTCOME_UNKNOWN',
            message: 'reconciled: the target does not show the write, it did not land',
          });
        }
        return { command, landed };
      } catch (error) {
        if (isFinal(error)) throw error;
        this.signal(runtime, strategy, error);
        this.ctx.noteFailure(runtime.instance, 'OUTCOME_UNKNOWN', messageOf(error));
        if (this.ctx.now() - started >= strategy.reconcileLimitMs) {
          const seconds = (ms: number) => Math.round(ms / 1000);
          throw new QuarantineNeeded(
            `still reconciling after ${seconds(this.ctx.now() - started)} s (limit ${seconds(strategy.reconcileLimitMs)} s): the target has not told whether the write landed (${messageOf(error)})`,
          );
        }
        if (command.state !== 'reconciling') {
          command = await this.ctx.save({ ...command, state: 'reconciling', updatedAt: this.iso() });
          await this.ctx.audit(command, 'pending', {
            reasonCode: 'OUTCOME_UNKNOWN',
            message: `outcome unknown (${why}); reading the target until it tells, nothing is written meanwhile`,
          });
        }
        reads += 1;
        const ceiling = Math.min(strategy.maxDelayMs, strategy.initialDelayMs * 2 ** Math.min(reads, 30));
        if ((await this.ctx.gate.sleep(Math.max(1, Math.round(Math.random() * ceiling)))) === 'closed') {
          throw new DispatchInterrupted();
        }
      }
    }
  }

  /** Runs a read (or other step that writes nothing) until it answers, under the processing strategy. */
  private async persistently<T>(
    runtime: TargetRuntime,
    command: Command,
    strategy: ProcessingStrategy,
    tries: Tries,
    step: () => Promise<T>,
  ): Promise<T> {
    for (;;) {
      // A target marked down holds here until it is up again (or `notAfter` passes).
      await this.waitGate(command);
      try {
        const result = await step();
        this.ctx.availability.success(runtime.instance);
        return result;
      } catch (error) {
        if (isFinal(error)) throw error;
        await this.afterFailure(runtime, command, strategy, tries, error);
      }
    }
  }

  /**
   * After a failed attempt: throws what ends the command (a final failure, attempts run out,
   * `notAfter` passed), else audits the wait where it is news and sleeps the backoff.
   */
  private async afterFailure(
    runtime: TargetRuntime,
    command: Command,
    strategy: ProcessingStrategy,
    tries: Tries,
    error: unknown,
  ): Promise<void> {
    const notAfter = Date.parse(command.notAfter);
    const step = nextStep(strategy, error, tries, this.ctx.now(), notAfter);
    if (step.kind === 'final') throw error;
    if (step.kind === 'expired') throw new ExpiredWhileWaiting(command.notAfter, tries.waitingFor);
    if (step.kind === 'give-up') throw new GaveUp(step.reason, step.message);
    const failure = classifyFailure(error);
    if (!failure.retry) throw error;
    this.signal(runtime, strategy, error);
    this.ctx.noteFailure(runtime.instance, failure.exhausted, failure.message);
    if (step.spendsAttempt) {
      tries.spent += 1;
      const of = strategy.attempts === 'unlimited' ? '' : ` of ${strategy.attempts}`;
      await this.ctx.audit(command, 'retried', {
        reasonCode: failure.exhausted,
        message: `attempt ${tries.spent}${of} failed (${failure.message}); retrying`,
      });
    } else {
      tries.waits += 1;
      const waitingFor = waitReason(error);
      // One record per new reason to wait, not one per backoff.
      if (waitingFor.message !== tries.waitingFor) {
        tries.waitingFor = waitingFor.message;
        await this.ctx.audit(command, 'retried', {
          reasonCode: waitingFor.code,
          message: `${waitingFor.message}; the key's queue waits until ${command.notAfter}`,
        });
      }
    }
    if ((await this.ctx.gate.sleep(step.delayMs)) === 'closed') throw new DispatchInterrupted();
  }

  /** Tells availability what a failure says about the target: no answer or a 5xx, or an answer. */
  private signal(runtime: TargetRuntime, strategy: ProcessingStrategy, error: unknown): void {
    const silent = error instanceof TargetError && (error.kind === 'transient' || error.kind === 'unknown');
    // Only a target whose outages hold its queues is marked down; `retry` spends attempts instead.
    if (silent && strategy.outage === 'hold') this.ctx.availability.outage(runtime.instance, messageOf(error));
    else if (!silent) this.ctx.availability.success(runtime.instance);
  }

  /**
   * Decisions that need the value at the target now: locked or audited record, operator override
   * (audited once, then AI writes to the key are held), maximum step from the prior value.
   */
  private async decideOnPrior(command: Command, runtime: TargetRuntime, prior: ReadResult): Promise<void> {
    const record = checkRecordState(prior, runtime.adapter.capabilities.locks);
    if (record) throw new DispatchRefusal('rejected', record.code, record.message);
    const observed = this.ctx.overrides.observe(
      command.orderingKey,
      prior.value,
      this.ctx.now(),
      runtime.policy.overrideHoldSeconds,
      prior.changedBy,
    );
    if (observed) {
      await this.ctx.overridden(
        command,
        observed.written,
        observed.found,
        observed.state.holdUntil,
        observed.changedBy,
      );
    }
    const subject = subjectOf(command);
    if (
      command.initiator === 'ai' &&
      !subject.isRevert &&
      this.ctx.overrides.isHeld(command.orderingKey, this.ctx.now())
    ) {
      const until = this.ctx.overrides.get(command.orderingKey)?.holdUntil;
      throw new DispatchRefusal(
        'rejected',
        'OVERRIDE_HOLD',
        `an operator overrode or reverted this value; AI writes are held until ${until}`,
      );
    }
    const step = checkStep(runtime.policy, subject, prior.value);
    if (step) throw new DispatchRefusal('rejected', step.code, step.message);
  }

  private targetWrite(command: Command): TargetWrite {
    return {
      object: command.object,
      ...(command.parameter !== undefined ? { parameter: command.parameter } : {}),
      action: command.action,
      ...(command.value !== undefined ? { value: command.value } : {}),
      ...(command.details ? { details: command.details } : {}),
      externalRef: command.id,
      reason: command.reason,
      origin: {
        initiator: command.initiator,
        commandId: command.id,
        ...(command.lineage.modelId ? { modelId: command.lineage.modelId } : {}),
        ...(command.lineage.modelVersion ? { modelVersion: command.lineage.modelVersion } : {}),
      },
    };
  }

  /** Where a read shows the write's effect: the adapter says, or the command's own parameter. */
  private expectedOf(runtime: TargetRuntime, write: TargetWrite): ExpectedReadBack | null {
    return readBackOf(runtime.adapter, write);
  }

  /** After an unknown outcome: did the earlier attempt land? Creates are looked up by external reference. */
  private async checkLanded(
    runtime: TargetRuntime,
    command: Command,
    write: TargetWrite,
    expected: ExpectedReadBack | null,
  ): Promise<WriteResult | null> {
    if (CREATE_ACTIONS.has(write.action)) {
      if (!runtime.adapter.findCreated) {
        throw new DispatchRefusal(
          'failed',
          'NOT_CONFIRMED',
          'outcome unknown and the target cannot look creates up; not created again',
        );
      }
      return runtime.adapter.findCreated(write.externalRef);
    }
    if (!expected) return null;
    const current = await runtime.adapter.read(expected.address);
    if (valuesEqual(current.value, expected.value)) return { appliedValue: current.value };
    // Neither the value before the write nor the one written: someone else changed it, before or after
    // this write may have landed. Writing again could undo their change: an operator decides (a release
    // says write again).
    const released = command.reasonCode === 'QUARANTINE_RELEASED';
    if (!released && command.priorValue !== undefined && !valuesEqual(current.value, command.priorValue)) {
      const by = current.changedBy ? ` (last changed by ${current.changedBy})` : '';
      throw new QuarantineNeeded(
        `the target shows ${JSON.stringify(current.value)}${by}, neither the value before the write (${JSON.stringify(command.priorValue)}) nor the value written (${JSON.stringify(expected.value)}): the gateway cannot tell whether its write landed`,
      );
    }
    return null;
  }

  private async confirm(
    runtime: TargetRuntime,
    write: TargetWrite,
    expected: ExpectedReadBack | null,
    written: WriteResult,
  ): Promise<WriteResult> {
    if (!runtime.adapter.capabilities.readBack) return written;
    if (CREATE_ACTIONS.has(write.action)) {
      if (!runtime.adapter.findCreated) return written;
      const found = await runtime.adapter.findCreated(write.externalRef);
      if (!found) throw new NotConfirmedError('the create is not found at the target after it was acknowledged');
      return { ...found, mesTransactionId: written.mesTransactionId ?? found.mesTransactionId };
    }
    if (!expected) return written;
    const current = await runtime.adapter.read(expected.address);
    if (!valuesEqual(current.value, expected.value)) {
      throw new NotConfirmedError(
        `read-back shows ${JSON.stringify(current.value)} instead of ${JSON.stringify(expected.value)}`,
        current.value,
      );
    }
    return { ...written, appliedValue: current.value };
  }

  private async acquireLock(runtime: TargetRuntime, write: TargetWrite): Promise<TargetLock | undefined> {
    return lockIfNeeded(runtime.adapter, addressOf(write));
  }

  private async claimScopeOf(runtime: TargetRuntime, write: TargetWrite): Promise<KeyClaim | undefined> {
    if (!runtime.adapter.capabilities.locks) return undefined;
    return this.ctx.claimScope(lockScopeOf(runtime.adapter, addressOf(write)));
  }

  private async releaseScope(runtime: TargetRuntime, scope: KeyClaim | undefined): Promise<void> {
    if (!scope) return;
    try {
      await scope.release();
    } catch (error) {
      // The claim ends with its database session; a failed release is noted, not fatal.
      this.ctx.noteFailure(runtime.instance, 'LOCK_RELEASE_FAILED', (error as Error).message);
    }
  }

  private async releaseLock(runtime: TargetRuntime, write: TargetWrite, lock: TargetLock): Promise<void> {
    try {
      await releaseIfHeld(runtime.adapter, addressOf(write), lock);
    } catch (error) {
      // The lock expires at the target on its own; a failed release is noted, not fatal.
      this.ctx.noteFailure(runtime.instance, 'LOCK_RELEASE_FAILED', (error as Error).message);
    }
  }

  private async waitGate(command: Command): Promise<void> {
    await this.ctx.currentControl();
    const result = await this.ctx.gate.waitOpen(command.target.instance, Date.parse(command.notAfter), command.id);
    if (result === 'deadline') throw new ExpiredWhileWaiting(command.notAfter);
    if (result === 'closed') throw new DispatchInterrupted();
  }

  private async applied(
    command: Command,
    runtime: TargetRuntime,
    result: WriteResult,
    priorValue: ParameterValue | null | undefined,
  ): Promise<Command> {
    const isRevert = command.revertOf !== undefined;
    const newValue = result.appliedValue !== undefined ? result.appliedValue : (command.value ?? undefined);
    const at = this.iso();
    const state: CommandState = isRevert ? 'reverted' : 'applied';
    return this.ctx.finish(
      command,
      state,
      {
        ...(priorValue !== undefined ? { priorValue } : {}),
        ...(newValue !== undefined ? { newValue } : {}),
        ...(result.mesTransactionId ? { mesTransactionId: result.mesTransactionId } : {}),
        ...(isRevert ? { reasonCode: 'REVERT' as const } : {}),
        appliedAt: at,
        decidedAt: command.decidedAt ?? at,
      },
      isRevert ? 'reverted' : 'applied',
      isRevert ? { reasonCode: 'REVERT', message: `reverted ${command.revertOf}`, actor: command.requestedBy } : {},
    );
  }

  private async failed(command: Command, error: unknown): Promise<Command> {
    if (error instanceof DispatchInterrupted) throw error;
    if (error instanceof ExpiredWhileWaiting) {
      return this.ctx.finish(command, 'expired', { reasonCode: 'EXPIRED', message: error.message }, 'expired');
    }
    if (error instanceof DispatchRefusal) {
      return this.ctx.finish(
        command,
        error.state,
        { reasonCode: error.code, message: error.message },
        error.state === 'rejected' ? 'rejected' : 'failed',
      );
    }
    if (error instanceof GaveUp) {
      return this.ctx.finish(command, 'failed', { reasonCode: error.code, message: error.message }, 'failed');
    }
    const failure = classifyFailure(error);
    if (failure.retry) {
      return this.ctx.finish(command, 'failed', { reasonCode: failure.exhausted, message: failure.message }, 'failed');
    }
    const state: CommandState =
      failure.reason === 'INTERNAL_ERROR' || failure.reason === 'AUTH_FAILED' ? 'failed' : 'rejected';
    return this.ctx.finish(
      command,
      state,
      { reasonCode: failure.reason, message: failure.message },
      state === 'rejected' ? 'rejected' : 'failed',
    );
  }

  private iso(): string {
    return new Date(this.ctx.now()).toISOString();
  }
}

/** The object and parameter a write locks: what the target knows a record by. */
function addressOf(write: TargetWrite): TargetAddress {
  return { object: write.object, ...(write.parameter ? { parameter: write.parameter } : {}) };
}
