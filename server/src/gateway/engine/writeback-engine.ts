import { createHash } from 'node:crypto';
import type {
  AuditOutcome,
  ControlState,
  ElectronicSignature,
  ParameterValue,
  ReasonCode,
  WriteBackOutcome,
  WriteBackRequest,
} from '@loopgate/contracts';
import { v7 as uuidv7 } from 'uuid';
import type { AuditEntry } from '../../common/audit.port';
import { UserError } from '../../common/errors';
import { orderingKeyOf, type BusCommand, type CommandBus } from '../bus/command-bus';
import { approvalNeedsPrior, requiredApproval } from '../domain/approval-policy';
import { canonicalJson } from '../domain/audit-chain';
import { isTerminal, moveTo, toOutcome, type Command } from '../domain/command';
import { ControlGate } from '../domain/control-gate';
import {
  checkBounds,
  checkExpiry,
  checkInterlock,
  effectiveNotAfter,
  WriteHistory,
  subjectOf,
  type Refusal,
} from '../domain/guardrails';
import { OverrideTracker } from '../domain/override-detection';
import { auditEntryFor, type AuditDetails } from './audit-entries';
import { CommandDispatcher, DispatchInterrupted, type DispatchContext } from './dispatcher';
import {
  CommandConflictError,
  CONSOLE_LOGGER,
  type EngineLogger,
  type EngineObserver,
  type GatewayStore,
  type StoreChange,
  type TargetRuntime,
} from './ports';

export interface EngineOptions {
  store: GatewayStore;
  bus: CommandBus;
  targets: readonly TargetRuntime[];
  observer?: EngineObserver;
  logger?: EngineLogger;
  now?: () => number;
  /** How often pending approvals are checked for expiry. */
  sweepIntervalMs?: number;
  /** How long a revert may wait in its key's queue before it expires. */
  revertTtlSeconds?: number;
  /** How often values the gateway wrote are read back to notice operator overrides (0: only on the next write). */
  overrideWatchIntervalMs?: number;
  /** Values written within this window are watched. */
  overrideWatchWindowSeconds?: number;
}

/** Who asks: a user name or `token:<name>`, and what they may do. */
export interface Actor {
  id: string;
  displayName?: string;
  permissions: readonly string[];
}

export interface SubmitResult {
  created: boolean;
  outcome: WriteBackOutcome;
}

/** Runtime state of a target the console shows and controls. */
export interface TargetRuntimeState {
  paused: boolean;
  shadow: boolean;
  queueDepth: number;
  currentRate: number;
  lastErrors: { time: string; code: string; message: string }[];
}

const RATE_WINDOW_MS = 10_000;
const LAST_ERRORS = 10;
const STOP_KEY = 'control:stop';
const targetKey = (instance: string) => `target:${instance}`;

/**
 * The write-back gateway's decision core, free of any framework: accepts requests (idempotent on
 * `requestId`), applies guardrails and approval rules, queues commands on the bus in order, and
 * dispatches them to targets; approvals, reverts, pause and the kill switch act on it.
 *
 * On a bus only this process dispatches from (the outbox), the engine's memory of unfinished
 * commands is the newest version and reads are served from it. On a bus shared with other
 * gateway processes (Kafka), another process may have moved any command on: the stored command
 * is the truth, each dispatch holds its ordering key across processes (`claimKey`) and starts
 * from the stored command, and control state and queue depths are refreshed from the store.
 *
 * @example
 * const engine = new WriteBackEngine({ store, bus, targets });
 * await engine.start();
 * const { outcome } = await engine.submit(request, { id: 'token:line1', permissions: ['writeback:submit'] });
 */
export class WriteBackEngine {
  readonly gate = new ControlGate();
  private readonly store: GatewayStore;
  private readonly bus: CommandBus;
  private readonly targets = new Map<string, TargetRuntime>();
  private readonly observer: EngineObserver;
  private readonly logger: EngineLogger;
  private readonly now: () => number;
  private readonly dispatcher: CommandDispatcher;
  private readonly overrides = new OverrideTracker();
  private readonly history = new WriteHistory();
  /** Whether other gateway processes dispatch from the bus too: then `active` stays empty and the store is read. */
  private readonly shared: boolean;
  /** Commands not in a terminal state: the current version of each (only when the bus is not shared). */
  private readonly active = new Map<string, Command>();
  /** Per ordering key, the dispatch running in this process (shared bus: a redelivery waits its turn). */
  private readonly keyTurns = new Map<string, Promise<void>>();
  /** Commands a signer is deciding now, so a second signature or the expiry sweep does not race it. */
  private readonly deciding = new Set<string>();
  /** Shared bus: queued and dispatching commands per target, as last counted in the store. */
  private queuedCounts = new Map<string, number>();
  /** Shared bus: per key, the command whose write this process applied last (it watches that key for overrides). */
  private readonly writtenHere = new Map<string, string>();
  /** Control changes made here: started, and still being stored. A refresh that overlaps one is dropped. */
  private controlVersion = 0;
  private controlChanges = 0;
  private halt = new AbortController();
  private sweeping = false;
  private readonly inflightSubmits = new Map<string, Promise<SubmitResult>>();
  private readonly shadowOverride = new Map<string, boolean>();
  private readonly appliedTimes = new Map<string, number[]>();
  private readonly lastErrors = new Map<string, { time: string; code: string; message: string }[]>();
  private control: ControlState = { stopped: false };
  private sweeper?: ReturnType<typeof setInterval>;
  private watcher?: ReturnType<typeof setInterval>;
  private watching = false;
  private started = false;

  constructor(private readonly options: EngineOptions) {
    this.store = options.store;
    this.bus = options.bus;
    this.shared = options.bus.sharedAcrossProcesses;
    for (const target of options.targets) this.targets.set(target.instance, target);
    this.observer = options.observer ?? {};
    this.logger = options.logger ?? CONSOLE_LOGGER;
    this.now = options.now ?? Date.now;
    this.dispatcher = new CommandDispatcher(this.dispatchContext());
  }

  /** Loads durable state (control, active commands, key states, recent writes) and starts dispatch. */
  async start(): Promise<void> {
    this.halt = new AbortController();
    this.gate.setStopped(this.control.stopped);
    this.applyControl(await this.store.loadControl());
    if (!this.shared) {
      for (const command of await this.store.loadActiveCommands()) this.active.set(command.id, command);
    } else {
      this.queuedCounts = await this.store.countQueuedByTarget();
    }
    this.overrides.load(await this.store.loadKeyStates());
    const since = new Date(this.now() - 24 * 3600_000).toISOString();
    for (const row of await this.store.loadAcceptedSince(since))
      this.history.record(row.orderingKey, Date.parse(row.decidedAt));

    await this.bus.start((command) => this.handle(command));
    if (!this.shared) {
      // Queued commands the outbox does not hold (queued while another bus was configured) join it again.
      // Never on a shared bus: a command relayed to it has left the outbox, and a second publish would come late.
      const outboxIds = new Set((await this.store.loadOutbox()).map((row) => row.commandId));
      for (const command of this.active.values()) {
        if ((command.state === 'queued' || command.state === 'dispatching') && !outboxIds.has(command.id)) {
          await this.store.commit([this.bus.outboxRow(this.busCommand(command))]);
        }
      }
    }
    const interval = this.options.sweepIntervalMs ?? 1000;
    this.sweeper = setInterval(() => void this.sweep(), interval);
    this.sweeper.unref();
    const watchEvery = this.options.overrideWatchIntervalMs ?? 5000;
    if (watchEvery > 0) {
      this.watcher = setInterval(() => void this.watchOverrides(), watchEvery);
      this.watcher.unref();
    }
    this.started = true;
  }

  /** Stops dispatch: waits in gates are released, the bus drains what is in flight. */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.watcher) clearInterval(this.watcher);
    this.halt.abort(new DispatchInterrupted());
    this.gate.close();
    await this.bus.stop();
    this.started = false;
  }

  isStarted(): boolean {
    return this.started;
  }

  // ------------------------------------------------------------------------------------------
  // Requests

  /** Accepts a request once: a second request with the same `requestId` returns the first command. */
  async submit(request: WriteBackRequest, actor: Actor, revertOf?: Command): Promise<SubmitResult> {
    const running = this.inflightSubmits.get(request.requestId);
    if (running) return { created: false, outcome: (await running).outcome };
    const promise = this.accept(request, actor, revertOf);
    this.inflightSubmits.set(request.requestId, promise);
    try {
      return await promise;
    } finally {
      this.inflightSubmits.delete(request.requestId);
    }
  }

  private async accept(request: WriteBackRequest, actor: Actor, revertOf?: Command): Promise<SubmitResult> {
    const existing = await this.store.findCommandByRequestId(request.requestId);
    if (existing) return { created: false, outcome: toOutcome(this.current(existing)) };
    try {
      return await this.acceptNew(request, actor, revertOf);
    } catch (error) {
      // Another gateway process stored the same requestId at the same moment: its command is the one.
      // When the store cannot say (it is down), the original failure is the answer.
      const winner = this.shared
        ? await this.store.findCommandByRequestId(request.requestId).catch(() => undefined)
        : undefined;
      if (winner) return { created: false, outcome: toOutcome(winner) };
      throw error;
    }
  }

  /** A request seen for the first time: refused, pending approval or queued, and stored. */
  private async acceptNew(request: WriteBackRequest, actor: Actor, revertOf?: Command): Promise<SubmitResult> {
    const now = this.now();
    const at = new Date(now).toISOString();
    const runtime = this.targets.get(request.target.instance);
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
      initiator: request.initiator,
      requestedBy: actor.id,
      lineage: request.lineage ?? {},
      ...(revertOf ? { revertOf: revertOf.id } : {}),
      attempts: 0,
      ...(request.eventTime ? { eventTime: new Date(request.eventTime).toISOString() } : {}),
      receivedAt: at,
      updatedAt: at,
    };

    const refusal = this.refusalAtAccept(command, runtime, now);
    if (refusal) {
      const state = refusal.code === 'EXPIRED' ? 'expired' : 'rejected';
      command = { ...command, state, reasonCode: refusal.code, message: refusal.message, decidedAt: at };
      await this.persist(command, [{ kind: 'audit', entry: auditEntryFor(command, state, { actor: actor.id }) }]);
      this.observer.refused?.(command.target.instance, refusal.code);
      this.observer.finished?.(command, undefined);
      return { created: true, outcome: toOutcome(command) };
    }
    const target = runtime as TargetRuntime;

    if (!revertOf) {
      const subject = subjectOf(command);
      let prior: { value: ParameterValue | null | undefined } | undefined;
      if (approvalNeedsPrior(target.approvals, subject) && command.parameter !== undefined) {
        prior = await this.readQuietly(target, command);
      }
      const approval = requiredApproval(target.approvals, subject, prior);
      if (approval) {
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
        await this.persist(command, [{ kind: 'audit', entry: auditEntryFor(command, 'pending', { actor: actor.id }) }]);
        this.observer.refused?.(command.target.instance, 'APPROVAL_REQUIRED');
        return { created: true, outcome: toOutcome(command) };
      }
    }

    command = { ...command, decidedAt: at };
    await this.enqueue(command, 'accepted', { actor: actor.id });
    return { created: true, outcome: toOutcome(this.active.get(command.id) ?? command) };
  }

  /** The guardrails that need no value from the target; checked before anything is queued. */
  private refusalAtAccept(command: Command, runtime: TargetRuntime | undefined, now: number): Refusal | undefined {
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
    const subject = subjectOf(command);
    const isRevert = subject.isRevert;
    return (
      checkExpiry(command.notAfter, now) ??
      checkInterlock(runtime.policy, subject) ??
      checkBounds(runtime.policy, subject) ??
      this.history.check(runtime.policy, subject, command.orderingKey, now) ??
      (command.initiator === 'ai' && !isRevert && this.overrides.isHeld(command.orderingKey, now)
        ? {
            code: 'OVERRIDE_HOLD',
            message: `an operator overrode this value; AI writes are held until ${this.overrides.get(command.orderingKey)?.holdUntil}`,
          }
        : undefined)
    );
  }

  /**
   * Stores a queued command with its audit and its outbox row in one transaction (the
   * transactional outbox): the bus has it exactly when it is stored. `expectState` guards a
   * transition another signer or process may make first.
   */
  private async enqueue(
    command: Command,
    outcome: AuditOutcome,
    details: AuditDetails,
    expectState?: Command['state'],
  ): Promise<void> {
    this.history.record(command.orderingKey, Date.parse(command.decidedAt ?? command.updatedAt));
    await this.stored(command, [
      expectState ? { kind: 'command', command, expectState } : { kind: 'command', command },
      { kind: 'audit', entry: auditEntryFor(command, outcome, details) },
      this.bus.outboxRow(this.busCommand(command)),
    ]);
    this.observer.outcome?.(command);
  }

  /**
   * Commits `changes` (which store `command`). Without a shared bus, `command` is the current
   * version from before the commit, so a dispatch the commit starts finds it; a failed commit
   * puts the previous version back.
   */
  private async stored(command: Command, changes: StoreChange[]): Promise<void> {
    if (this.shared) {
      await this.store.commit(changes);
      return;
    }
    const previous = this.active.get(command.id);
    if (!isTerminal(command)) this.active.set(command.id, command);
    try {
      await this.store.commit(changes);
    } catch (error) {
      if (previous) this.active.set(command.id, previous);
      else this.active.delete(command.id);
      throw error;
    }
    if (isTerminal(command)) this.active.delete(command.id);
  }

  // ------------------------------------------------------------------------------------------
  // Reads

  /** The newest version of a command: this process's own while only it dispatches, else the stored one. */
  async get(commandId: string): Promise<Command | undefined> {
    if (this.shared) return this.store.findCommand(commandId);
    return this.active.get(commandId) ?? (await this.store.findCommand(commandId));
  }

  /** The newest version of a command read from the store (lists read many at once). */
  current(stored: Command): Command {
    return this.shared ? stored : (this.active.get(stored.id) ?? stored);
  }

  /** Commands waiting for a signature, oldest first. */
  async pendingApprovals(): Promise<Command[]> {
    if (this.shared) return this.store.findCommandsInState('pending-approval');
    return [...this.active.values()]
      .filter((c) => c.state === 'pending-approval')
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }

  // ------------------------------------------------------------------------------------------
  // Approvals

  /**
   * Checks that `actor` may sign `commandId` before the password is checked: the command waits,
   * the signer is not the requester of a human-initiated change, QA rules need a QA signer.
   */
  async checkSigner(commandId: string, actor: Actor): Promise<Command> {
    const command = await this.get(commandId);
    if (!command) throw new UserError('NOT_FOUND', `no command ${commandId}`, 404);
    if (command.state !== 'pending-approval' || !command.approval) {
      throw new UserError('NOT_PENDING', `command ${commandId} is ${command.state}, not waiting for approval`, 409);
    }
    if (command.initiator === 'human' && command.requestedBy === actor.id) {
      throw new UserError('SELF_APPROVAL', 'the requester of a change cannot sign it', 403);
    }
    if (command.approval.requiresQuality && !actor.permissions.includes('writeback:approve-quality')) {
      throw new UserError('QUALITY_APPROVAL_REQUIRED', `rule "${command.approval.rule}" needs a QA signature`, 403);
    }
    if (Date.parse(command.approval.expiresAt) <= this.now()) {
      await this.expireApproval(command);
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
    const at = new Date(this.now()).toISOString();
    const approval = { ...command.approval!, signature: { ...signature, ...(comment ? { comment } : {}) } };
    if (signature.meaning === 'approved') {
      const queued = moveTo(
        command,
        'queued',
        { approval, decidedAt: at, reasonCode: undefined, message: comment },
        at,
      );
      await this.enqueue(
        queued,
        'approved',
        { actor: actor.id, signature, reasonCode: undefined, message: comment ?? 'approved' },
        'pending-approval',
      );
      return toOutcome(this.active.get(queued.id) ?? queued);
    }
    const rejected = moveTo(
      command,
      'rejected',
      { approval, decidedAt: at, reasonCode: 'APPROVAL_REJECTED', message: comment ?? 'rejected by signer' },
      at,
    );
    await this.persist(
      rejected,
      [{ kind: 'audit', entry: auditEntryFor(rejected, 'rejected', { actor: actor.id, signature }) }],
      'pending-approval',
    );
    this.observer.finished?.(rejected, undefined);
    return toOutcome(rejected);
  }

  /** Periodic work: approval expiry; on a shared bus also what other processes changed (control, queue depths). */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      if (this.shared) {
        const version = this.controlVersion;
        const control = await this.store.loadControl();
        if (version === this.controlVersion && this.controlChanges === 0) this.applyControl(control);
        this.queuedCounts = await this.store.countQueuedByTarget();
      }
      await this.expirePendingApprovals();
    } catch (error) {
      this.logger.warn(`sweep failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  private async expirePendingApprovals(): Promise<void> {
    const now = this.now();
    for (const command of await this.pendingApprovals()) {
      if (this.deciding.has(command.id)) continue;
      if (command.approval && Date.parse(command.approval.expiresAt) <= now) {
        try {
          await this.expireApproval(command);
        } catch (error) {
          this.logger.error(`expiring approval of ${command.id} failed: ${(error as Error).message}`);
        }
      }
    }
  }

  /** Ends a pending approval as expired, unless a signer (here or in another process) decided it first. */
  private async expireApproval(command: Command): Promise<void> {
    if (!this.shared && this.active.get(command.id)?.state !== 'pending-approval') return;
    const at = new Date(this.now()).toISOString();
    const expired = moveTo(
      command,
      'expired',
      { reasonCode: 'APPROVAL_EXPIRED', message: 'no signature before the approval window closed', decidedAt: at },
      at,
    );
    try {
      await this.persist(expired, [{ kind: 'audit', entry: auditEntryFor(expired, 'expired') }], 'pending-approval');
    } catch (error) {
      if (error instanceof CommandConflictError) return;
      throw error;
    }
    this.observer.refused?.(expired.target.instance, 'APPROVAL_EXPIRED');
    this.observer.finished?.(expired, undefined);
  }

  // ------------------------------------------------------------------------------------------
  // Revert

  /**
   * Writes an applied command's prior value back through the same ordered path, as a new command
   * linked to the original (`revertOf` / `revertedBy`). Reverting twice returns the first revert.
   */
  async revert(commandId: string, reason: string, actor: Actor): Promise<SubmitResult> {
    const original = await this.get(commandId);
    if (!original) throw new UserError('NOT_FOUND', `no command ${commandId}`, 404);
    if (original.revertedBy) {
      const revert = await this.get(original.revertedBy);
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
    const ttl = this.options.revertTtlSeconds ?? 300;
    const request: WriteBackRequest = {
      requestId: `revert:${original.id}`,
      lineage: original.lineage,
      target: original.target,
      object: original.object,
      action: 'set-parameter',
      ...(original.parameter !== undefined ? { parameter: original.parameter } : {}),
      value: original.priorValue,
      reason,
      notAfter: new Date(this.now() + ttl * 1000).toISOString(),
      initiator: 'human',
    };
    const result = await this.submit(request, actor, original);
    if (result.created) {
      const linked: Command = {
        ...original,
        revertedBy: result.outcome.commandId,
        updatedAt: new Date(this.now()).toISOString(),
      };
      await this.store.commit([{ kind: 'command', command: linked }]);
      this.observer.outcome?.(linked);
    }
    return result;
  }

  // ------------------------------------------------------------------------------------------
  // Control

  controlState(): ControlState {
    return { ...this.control };
  }

  /** The kill switch: no attempt starts until resumed; queued commands keep their order. */
  async stopAll(actor: Actor, reason?: string): Promise<ControlState> {
    this.gate.setStopped(true);
    this.control = { stopped: true, stoppedBy: actor.id, stoppedAt: new Date(this.now()).toISOString() };
    await this.commitControl([
      { kind: 'control', key: STOP_KEY, value: this.control, actor: actor.id },
      {
        kind: 'audit',
        entry: this.controlAudit('KILL_SWITCH', `dispatch stopped${reason ? `: ${reason}` : ''}`, actor),
      },
    ]);
    this.observer.control?.(this.controlState());
    return this.controlState();
  }

  async resumeAll(actor: Actor): Promise<ControlState> {
    this.control = { stopped: false };
    await this.commitControl([
      { kind: 'control', key: STOP_KEY, value: this.control, actor: actor.id },
      { kind: 'audit', entry: this.controlAudit('KILL_SWITCH', 'dispatch resumed', actor) },
    ]);
    this.gate.setStopped(false);
    this.observer.control?.(this.controlState());
    return this.controlState();
  }

  async setPaused(instance: string, paused: boolean, actor: Actor, reason?: string): Promise<void> {
    this.requireTarget(instance);
    this.gate.setPaused(instance, paused);
    await this.saveTargetControl(
      instance,
      actor,
      'TARGET_PAUSED',
      `${instance} ${paused ? 'paused' : 'resumed'}${reason ? `: ${reason}` : ''}`,
    );
  }

  async setShadow(instance: string, shadow: boolean, actor: Actor): Promise<void> {
    this.requireTarget(instance);
    this.shadowOverride.set(instance, shadow);
    await this.saveTargetControl(instance, actor, 'SHADOW_MODE', `${instance} shadow mode ${shadow ? 'on' : 'off'}`);
  }

  targetRuntimes(): TargetRuntime[] {
    return [...this.targets.values()];
  }

  targetState(instance: string): TargetRuntimeState {
    const runtime = this.requireTarget(instance);
    const now = this.now();
    const times = (this.appliedTimes.get(instance) ?? []).filter((t) => now - t < RATE_WINDOW_MS);
    this.appliedTimes.set(instance, times);
    return {
      paused: this.gate.isPaused(instance),
      shadow: this.isShadow(runtime.instance),
      queueDepth: this.queueDepth(instance),
      currentRate: times.length / (RATE_WINDOW_MS / 1000),
      lastErrors: [...(this.lastErrors.get(instance) ?? [])],
    };
  }

  /**
   * Applies stored control state: the kill switch, and pause and shadow mode per target. At start,
   * and on a shared bus at every sweep, so a pause made through another gateway process holds here too.
   */
  private applyControl(stored: Map<string, unknown>): void {
    const stop = stored.get(STOP_KEY) as ControlState | undefined;
    if ((stop?.stopped ?? false) !== this.control.stopped) {
      this.control = stop?.stopped ? stop : { stopped: false };
      this.gate.setStopped(this.control.stopped);
      this.observer.control?.(this.controlState());
    }
    for (const instance of this.targets.keys()) {
      const state = stored.get(targetKey(instance)) as { paused?: boolean; shadow?: boolean } | undefined;
      let changed = false;
      if ((state?.paused ?? false) !== this.gate.isPaused(instance)) {
        this.gate.setPaused(instance, state?.paused ?? false);
        changed = true;
      }
      if (typeof state?.shadow === 'boolean' && state.shadow !== this.shadowOverride.get(instance)) {
        this.shadowOverride.set(instance, state.shadow);
        changed = true;
      }
      if (changed) this.observer.target?.(instance);
    }
  }

  /** Commands accepted for `instance` and not yet finished (queued or in flight); on a shared bus, as last counted in the store. */
  queueDepth(instance: string): number {
    if (this.shared) return this.queuedCounts.get(instance) ?? 0;
    let depth = 0;
    for (const command of this.active.values()) {
      if (command.target.instance === instance && (command.state === 'queued' || command.state === 'dispatching'))
        depth += 1;
    }
    return depth;
  }

  private requireTarget(instance: string): TargetRuntime {
    const runtime = this.targets.get(instance);
    if (!runtime) throw new UserError('NOT_FOUND', `no target instance "${instance}" is configured`, 404);
    return runtime;
  }

  private async saveTargetControl(instance: string, actor: Actor, code: ReasonCode, message: string): Promise<void> {
    const value = {
      paused: this.gate.isPaused(instance),
      ...(this.shadowOverride.has(instance) ? { shadow: this.shadowOverride.get(instance) } : {}),
    };
    await this.commitControl([
      { kind: 'control', key: targetKey(instance), value, actor: actor.id },
      {
        kind: 'audit',
        entry: {
          ...this.controlAudit(code, message, actor),
          target: { kind: this.requireTarget(instance).kind, instance },
        },
      },
    ]);
    this.observer.target?.(instance);
  }

  /** Stores a control change made here; a refresh of control state that overlaps it is not applied. */
  private async commitControl(changes: StoreChange[]): Promise<void> {
    this.controlVersion += 1;
    this.controlChanges += 1;
    try {
      await this.store.commit(changes);
    } finally {
      this.controlChanges -= 1;
      this.controlVersion += 1;
    }
  }

  private controlAudit(code: ReasonCode, message: string, actor: Actor): AuditEntry {
    return { outcome: 'security', reasonCode: code, message, actor: actor.id, lineage: {} };
  }

  private isShadow(instance: string): boolean {
    return this.shadowOverride.get(instance) ?? this.targets.get(instance)?.shadow ?? false;
  }

  // ------------------------------------------------------------------------------------------
  // Dispatch

  /**
   * The bus handler: resolves once the command is in a terminal state, stored. A delivery of a
   * command already finished (a redelivery, a duplicate from the relay) does nothing.
   */
  private async handle(message: BusCommand): Promise<void> {
    if (!this.shared) {
      await this.dispatchCommand(
        this.active.get(message.commandId) ?? (await this.store.findCommand(message.commandId)),
      );
      return;
    }
    // Another process may have dispatched this command, or still be dispatching its key: take the key
    // (here and across processes) first, then start from what is stored, read-before-retry included.
    await this.inTurn(message.orderingKey, async () => {
      const claim = await this.store.claimKey(message.orderingKey, this.halt.signal);
      try {
        // The last write to the key may be another process's: override detection compares with it.
        const [command, keyState] = await Promise.all([
          this.store.findCommand(message.commandId),
          this.store.loadKeyState(message.orderingKey),
        ]);
        if (keyState && command && !isTerminal(command)) this.overrides.load([keyState]);
        await this.dispatchCommand(command);
      } finally {
        // Not awaited: the store orders this process's next claim after the release.
        claim
          .release()
          .catch((error: unknown) =>
            this.logger.warn(
              `releasing ${message.orderingKey} failed (its session ended): ${(error as Error).message}`,
            ),
          );
      }
    });
  }

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

  private async dispatchCommand(command: Command | undefined): Promise<void> {
    if (!command || isTerminal(command) || command.state === 'pending-approval') return;
    if (!this.shared) this.active.set(command.id, command);
    const runtime = this.targets.get(command.target.instance);
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
      this.logger.error(`dispatch of ${command.id} failed: ${(error as Error).stack ?? String(error)}`);
      throw error;
    }
  }

  private dispatchContext(): DispatchContext {
    return {
      now: () => this.now(),
      gate: this.gate,
      overrides: this.overrides,
      isShadow: (instance) => this.isShadow(instance),
      save: async (command) => {
        if (!this.shared) this.active.set(command.id, command);
        await this.store.commit([{ kind: 'command', command }]);
        this.observer.outcome?.(command);
        return command;
      },
      audit: async (command, outcome, details) => {
        await this.store.commit([{ kind: 'audit', entry: auditEntryFor(command, outcome, details) }]);
      },
      finish: (command, state, patch, outcome, details) => this.finish(command, state, patch, outcome, details),
      overridden: (command, written, found, holdUntil) => this.auditOverride(command, written, found, holdUntil),
      noteFailure: (instance, code, message) => this.noteFailure(instance, code, message),
    };
  }

  /** Audits a value the gateway wrote that someone else changed, against the command that wrote it. */
  private async auditOverride(
    command: Command,
    written: ParameterValue | null,
    found: ParameterValue | null,
    holdUntil: string | undefined,
  ): Promise<void> {
    const state = this.overrides.get(command.orderingKey);
    await this.store.commit([
      ...(state ? [{ kind: 'key-state' as const, state }] : []),
      {
        kind: 'audit',
        entry: {
          ...auditEntryFor(command, 'overridden', {
            reasonCode: 'OPERATOR_OVERRIDE',
            message: `value written by the gateway (${JSON.stringify(written)}${state ? `, command ${state.commandId}` : ''}) was changed to ${JSON.stringify(found)}; AI writes held until ${holdUntil}`,
            priorValue: written,
            newValue: found,
            actor: 'operator',
          }),
          ...(state ? { commandId: state.commandId, requestId: undefined } : {}),
        },
      },
    ]);
    this.observer.refused?.(command.target.instance, 'OVERRIDE_HOLD');
  }

  /**
   * Reads back values the gateway wrote recently on keys with nothing queued, so an operator's
   * override is audited (and AI writes held) when it happens, not only when the next write comes.
   */
  private async watchOverrides(): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    try {
      const since = this.now() - (this.options.overrideWatchWindowSeconds ?? 3600) * 1000;
      const busy = this.shared ? undefined : this.busyKeys();
      const candidates = this.overrides
        .keysWrittenSince(since)
        // On a shared bus each process watches the keys it wrote last.
        .filter((s) => (busy ? !busy.has(s.key) : this.writtenHere.get(s.key) === s.commandId))
        .slice(0, 200);
      for (const state of candidates) {
        if (this.shared && !(await this.stillWrittenHere(state.key, state.commandId))) continue;
        const command = await this.get(state.commandId);
        const runtime = command && this.targets.get(command.target.instance);
        if (!command || !runtime || !runtime.adapter.capabilities.readBack || command.parameter === undefined) continue;
        if (this.gate.state(runtime.instance) !== 'open') continue;
        let value: ParameterValue | null;
        try {
          value = (await runtime.adapter.read({ object: command.object, parameter: command.parameter })).value;
        } catch (error) {
          this.noteFailure(runtime.instance, 'OVERRIDE_WATCH_READ_FAILED', (error as Error).message);
          continue;
        }
        // A write may have started on the key while reading: its dispatch judges the value.
        if (this.shared ? await this.store.hasQueuedOnKey(state.key) : this.busyKeys().has(state.key)) continue;
        if (this.overrides.get(state.key)?.commandId !== state.commandId) continue;
        const observed = this.overrides.observe(state.key, value, this.now(), runtime.policy.overrideHoldSeconds);
        if (observed) await this.auditOverride(command, observed.written, observed.found, observed.state.holdUntil);
      }
    } catch (error) {
      this.logger.warn(`override watch failed: ${(error as Error).message}`);
    } finally {
      this.watching = false;
    }
  }

  private busyKeys(): Set<string> {
    return new Set([...this.active.values()].map((c) => c.orderingKey));
  }

  /**
   * Shared bus: whether this process's write is still the last one stored for the key and nothing
   * is queued on it; refreshes the key's state (another process may have noticed an override).
   */
  private async stillWrittenHere(key: string, commandId: string): Promise<boolean> {
    const stored = await this.store.loadKeyState(key);
    if (stored) this.overrides.load([stored]);
    if (stored?.commandId !== commandId) {
      this.writtenHere.delete(key);
      return false;
    }
    return !(await this.store.hasQueuedOnKey(key));
  }

  private async finish(
    command: Command,
    state: Command['state'],
    patch: Partial<Command>,
    outcome: AuditOutcome,
    details: AuditDetails = {},
  ): Promise<Command> {
    const at = new Date(this.now()).toISOString();
    const done = moveTo(command, state, { decidedAt: command.decidedAt ?? at, ...patch }, at);
    const changes: StoreChange[] = [];
    if (state === 'applied' || state === 'reverted') {
      const keyState = this.overrides.recordWrite(
        done.orderingKey,
        done.newValue ?? null,
        done.id,
        done.appliedAt ?? at,
      );
      changes.push({ kind: 'key-state', state: keyState });
      if (this.shared) this.writtenHere.set(done.orderingKey, done.id);
      const times = this.appliedTimes.get(done.target.instance) ?? [];
      times.push(this.now());
      this.appliedTimes.set(done.target.instance, times.length > 10_000 ? times.slice(-5_000) : times);
    }
    if (state === 'rejected' && done.reasonCode) this.observer.refused?.(done.target.instance, done.reasonCode);
    if (state === 'failed' && done.reasonCode)
      this.noteFailure(done.target.instance, done.reasonCode, done.message ?? '');
    await this.persist(done, [...changes, { kind: 'audit', entry: auditEntryFor(done, outcome, details) }]);
    const latency = done.appliedAt
      ? Date.parse(done.appliedAt) - Date.parse(done.eventTime ?? done.receivedAt)
      : undefined;
    this.observer.finished?.(done, latency);
    return done;
  }

  /** Stores a command with other changes; terminal commands leave the active set once stored. */
  private async persist(command: Command, changes: StoreChange[], expectState?: Command['state']): Promise<void> {
    await this.stored(command, [
      expectState ? { kind: 'command', command, expectState } : { kind: 'command', command },
      ...changes,
    ]);
    this.observer.outcome?.(command);
  }

  private noteFailure(instance: string, code: string, message: string): void {
    const list = this.lastErrors.get(instance) ?? [];
    list.unshift({ time: new Date(this.now()).toISOString(), code, message });
    this.lastErrors.set(instance, list.slice(0, LAST_ERRORS));
  }

  private busCommand(command: Command): BusCommand {
    return { commandId: command.id, orderingKey: command.orderingKey, targetInstance: command.target.instance };
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
      this.noteFailure(runtime.instance, 'PRIOR_READ_FAILED', (error as Error).message);
      return undefined;
    }
  }
}

/**
 * The hash a signature binds to: SHA-256 of the pending command's canonical content
 * (everything but the signature itself), so a signature cannot be moved to another change.
 */
export function commandRecordHash(command: Command): string {
  const { approval, ...rest } = toOutcome(command);
  const content = {
    ...rest,
    approval: approval
      ? { rule: approval.rule, requiresQuality: approval.requiresQuality, expiresAt: approval.expiresAt }
      : undefined,
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
