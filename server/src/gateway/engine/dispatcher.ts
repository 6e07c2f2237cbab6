import type { AuditOutcome, CommandState, ParameterValue, ReasonCode } from '@loopgate/contracts';
import { backOff } from 'exponential-backoff';
import type {
  ExpectedReadBack,
  ReadResult,
  TargetAddress,
  TargetLock,
  TargetWrite,
  WriteResult,
} from '../../targets/adapter';
import { lockIfNeeded, readBackOf, releaseIfHeld } from '../../targets/write-cycle';
import type { Command } from '../domain/command';
import type { ControlGate } from '../domain/control-gate';
import { checkExpiry, checkRecordState, checkStep, subjectOf, type RetryPolicy } from '../domain/guardrails';
import type { OverrideTracker } from '../domain/override-detection';
import { classifyFailure, NotConfirmedError } from '../domain/retry-policy';
import { valuesEqual } from '../domain/values';
import type { AuditDetails } from './audit-entries';
import type { TargetRuntime } from './ports';

/** Thrown when dispatch must end without a target outcome: the gateway is shutting down. */
export class DispatchInterrupted extends Error {
  constructor() {
    super('dispatch interrupted by shutdown');
    this.name = 'DispatchInterrupted';
  }
}

/** A command ran out of time while waiting (pause, kill switch, backoff): expired, never applied late. */
class ExpiredWhileWaiting extends Error {
  constructor(readonly notAfter: string) {
    super(`not applied before ${notAfter}; dropped as stale`);
  }
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
  /** An operator changed a value the gateway wrote: audited as `overridden`. */
  overridden(
    command: Command,
    written: ParameterValue | null,
    found: ParameterValue | null,
    holdUntil?: string,
  ): Promise<void>;
  noteFailure(instance: string, code: string, message: string): void;
}

const CREATE_ACTIONS = new Set(['create-maintenance-work-order', 'create-quality-event']);

/**
 * Applies one command to its target: gate, expiry, prior read, override detection, step check,
 * shadow, then the write with retries (exponential backoff with full jitter), lock handling,
 * read-before-retry on unknown outcomes, and confirmation by read-back.
 * Resolves with the command in a terminal state, stored.
 */
export class CommandDispatcher {
  constructor(private readonly ctx: DispatchContext) {}

  async dispatch(initial: Command, runtime: TargetRuntime): Promise<Command> {
    let command = initial;
    try {
      await this.waitGate(command);
      const expired = checkExpiry(command.notAfter, this.ctx.now());
      if (expired) throw new ExpiredWhileWaiting(command.notAfter);

      const write = this.targetWrite(command);
      const isCreate = CREATE_ACTIONS.has(command.action);
      // A restart after a write was sent: the outcome is unknown until read.
      let uncertain = command.attempts > 0;
      const expected = isCreate ? null : this.expectedOf(runtime, write);

      if (uncertain) {
        const landed = await this.withRetry(runtime, command, () => this.checkLanded(runtime, write, expected));
        if (landed) return await this.applied(command, runtime, landed, command.priorValue);
      }
      if (expected) {
        const read = await this.withRetry(runtime, command, () => runtime.adapter.read(expected.address));
        command = { ...command, priorValue: read.value };
        await this.decideOnPrior(command, runtime, read);
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

      let sent = false;
      const attemptWrite = () =>
        this.withRetry(runtime, command, async () => {
          await this.waitGate(command);
          if (checkExpiry(command.notAfter, this.ctx.now())) throw new ExpiredWhileWaiting(command.notAfter);
          if (uncertain) {
            const landed = await this.checkLanded(runtime, write, expected);
            if (landed) return landed;
          }
          const lock = await this.acquireLock(runtime, write);
          try {
            if (command.attempts === 0 || command.state !== 'dispatching') {
              // Durable before the write is sent, so a restart knows to read before writing again.
              command = await this.ctx.save({
                ...command,
                state: 'dispatching',
                attempts: command.attempts + 1,
                updatedAt: this.iso(),
              });
            } else {
              command = { ...command, attempts: command.attempts + 1 };
            }
            sent = false;
            const written = await runtime.adapter.write({ ...write, ...(lock ? { lock } : {}) });
            sent = true;
            return await this.confirm(runtime, write, expected, written);
          } catch (error) {
            const failure = classifyFailure(error);
            if (sent || (failure.retry && failure.readFirst)) uncertain = true;
            throw error;
          } finally {
            if (lock) await this.releaseLock(runtime, write, lock);
          }
        });
      let result: WriteResult;
      try {
        result = await attemptWrite();
      } catch (error) {
        // The last attempt may have landed after all: a truthful outcome needs one more look.
        if (uncertain && !(error instanceof DispatchInterrupted)) {
          const landed = await this.checkLanded(runtime, write, expected).catch(() => null);
          if (landed) return await this.applied(command, runtime, landed, command.priorValue);
        }
        throw error;
      }
      return await this.applied(command, runtime, result, command.priorValue);
    } catch (error) {
      return await this.failed(command, error);
    }
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
    );
    if (observed) await this.ctx.overridden(command, observed.written, observed.found, observed.state.holdUntil);
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
        `an operator overrode this value; AI writes are held until ${until}`,
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
    };
  }

  /** Where a read shows the write's effect: the adapter says, or the command's own parameter. */
  private expectedOf(runtime: TargetRuntime, write: TargetWrite): ExpectedReadBack | null {
    return readBackOf(runtime.adapter, write);
  }

  /** After an unknown outcome: did the earlier attempt land? Creates are looked up by external reference. */
  private async checkLanded(
    runtime: TargetRuntime,
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
    return valuesEqual(current.value, expected.value) ? { appliedValue: current.value } : null;
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

  private async releaseLock(runtime: TargetRuntime, write: TargetWrite, lock: TargetLock): Promise<void> {
    try {
      await releaseIfHeld(runtime.adapter, addressOf(write), lock);
    } catch (error) {
      // The lock expires at the target on its own; a failed release is noted, not fatal.
      this.ctx.noteFailure(runtime.instance, 'LOCK_RELEASE_FAILED', (error as Error).message);
    }
  }

  /** Runs `attempt` with exponential backoff and full jitter; each retry is audited as `retried`. */
  private withRetry<T>(runtime: TargetRuntime, command: Command, attempt: () => Promise<T>): Promise<T> {
    const policy: RetryPolicy = runtime.policy.retry;
    return backOff(attempt, {
      numOfAttempts: policy.maxAttempts,
      startingDelay: policy.initialDelayMs,
      maxDelay: policy.maxDelayMs,
      timeMultiple: 2,
      jitter: 'full',
      retry: async (error: unknown, next: number) => {
        if (
          error instanceof ExpiredWhileWaiting ||
          error instanceof DispatchInterrupted ||
          error instanceof DispatchRefusal
        ) {
          return false;
        }
        const failure = classifyFailure(error);
        if (!failure.retry) return false;
        this.ctx.noteFailure(runtime.instance, failure.exhausted, failure.message);
        if (checkExpiry(command.notAfter, this.ctx.now())) return false;
        await this.ctx.audit(command, 'retried', {
          reasonCode: failure.exhausted,
          message: `attempt ${next - 1} of ${policy.maxAttempts} failed (${failure.message}); retrying`,
        });
        return true;
      },
    });
  }

  private async waitGate(command: Command): Promise<void> {
    const result = await this.ctx.gate.waitOpen(command.target.instance, Date.parse(command.notAfter));
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
