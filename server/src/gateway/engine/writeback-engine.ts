import type {
  AiEpisode,
  ControlState,
  ElectronicSignature,
  WriteBackOutcome,
  WriteBackRequest,
} from '@loopgate/contracts';
import type { CommandBus } from '../bus/command-bus';
import { toOutcome, type Command } from '../domain/command';
import { Approvals } from './approvals';
import type { AutonomyPolicy } from './autonomy-port';
import type { Actor, EngineContext, SubmitResult } from './context';
import { DispatchControl } from './dispatch-control';
import { DispatchCoordinator } from './dispatch-coordinator';
import { Intake } from './intake';
import { Episodes } from './episodes';
import { Journal } from './journal';
import { OverrideWatch } from './override-watch';
import { Quarantine } from './quarantine';
import { CONSOLE_LOGGER, type EngineLogger, type EngineObserver, type GatewayStore, type TargetRuntime } from './ports';
import { DEFAULT_AVAILABILITY, TargetAvailability, type TargetDown } from './target-availability';
import { TargetStatistics, type TargetError } from './target-statistics';

export type { Actor, SubmitResult } from './context';
export { commandRecordHash } from './command-hash';

/** How often the sweep forgets admission times no limit counts any more. */
const ADMISSION_PRUNE_INTERVAL_MS = 60_000;

export interface EngineOptions {
  store: GatewayStore;
  bus: CommandBus;
  targets: readonly TargetRuntime[];
  observer?: EngineObserver;
  logger?: EngineLogger;
  /** The one clock (epoch ms) every part of the engine reads. */
  now?: () => number;
  /** How often pending approvals are checked for expiry and stored control state is read. */
  sweepIntervalMs?: number;
  /** How long a revert may wait in its key's queue before it expires. */
  revertTtlSeconds?: number;
  /** How often values the gateway wrote are read back to notice operator overrides (0: only on the next write). */
  overrideWatchIntervalMs?: number;
  /** Values written within this window are watched. */
  overrideWatchWindowSeconds?: number;
  /** Earned autonomy: judges the level of each AI request's scope in intake. */
  autonomy?: AutonomyPolicy;
  /** Consecutive outage signals that mark a target down (default 3); probes back off as its processing strategy. */
  markDownAfter?: number;
}

/** Runtime state of a target the console shows and controls. */
export interface TargetRuntimeState {
  paused: boolean;
  shadow: boolean;
  queueDepth: number;
  currentRate: number;
  lastErrors: TargetError[];
  /** Marked down after consecutive outage signals: its queues hold and it is probed until it answers. */
  down?: TargetDown;
}

/**
 * The write-back gateway's decision core, free of any framework. It wires one part per concern
 * over one store, one bus and one clock: `Intake` (requests, reverts), `Approvals` (signatures,
 * expiry), `DispatchControl` (kill switch, pause, shadow), `DispatchCoordinator` (the bus handler),
 * `OverrideWatch` and `TargetStatistics`; every change goes through one `Journal`. The stored state
 * is the truth, so one process and several on one database behave alike.
 *
 * @example
 * const engine = new WriteBackEngine({ store, bus, targets });
 * await engine.start();
 * const { outcome } = await engine.submit(request, { id: 'token:line1', permissions: ['writeback:submit'] });
 */
export class WriteBackEngine {
  private readonly ctx: EngineContext;
  private readonly control: DispatchControl;
  private readonly stats: TargetStatistics;
  private readonly overrides: OverrideWatch;
  private readonly intake: Intake;
  private readonly episodes: Episodes;
  private readonly approvals: Approvals;
  private readonly coordinator: DispatchCoordinator;
  private readonly availability: TargetAvailability;
  private readonly quarantine: Quarantine;
  private sweeper?: ReturnType<typeof setInterval>;
  private watcher?: ReturnType<typeof setInterval>;
  private sweeping = false;
  private lastPrune = 0;
  private started = false;

  constructor(private readonly options: EngineOptions) {
    const observer = options.observer ?? {};
    const now = options.now ?? Date.now;
    this.ctx = {
      store: options.store,
      bus: options.bus,
      targets: new Map(options.targets.map((target) => [target.instance, target])),
      observer,
      logger: options.logger ?? CONSOLE_LOGGER,
      now,
      journal: new Journal(options.store, options.bus, observer),
      ...(options.autonomy ? { autonomy: options.autonomy } : {}),
    };
    this.control = new DispatchControl(this.ctx);
    this.stats = new TargetStatistics(options.store, now);
    this.overrides = new OverrideWatch(this.ctx, this.control, this.stats, {
      windowSeconds: options.overrideWatchWindowSeconds,
    });
    this.intake = new Intake(this.ctx, this.overrides, this.stats, options.revertTtlSeconds);
    this.episodes = new Episodes(this.ctx, this.intake);
    this.approvals = new Approvals(this.ctx, this.stats);
    this.availability = new TargetAvailability(
      this.control.gate,
      now,
      (instance) => this.control.requireTarget(instance).adapter.health(),
      (instance, down, told) => {
        const where = told ? ' (seen by another gateway process)' : '';
        if (down && down.probes === 0) this.ctx.logger.warn(`target ${instance} marked down${where}: ${down.reason}`);
        if (!down) this.ctx.logger.warn(`target ${instance} answers again: marked up${where}`);
        // A verdict reached here is stored, so every process holds and shows the same.
        if (!told && (!down || down.probes === 0))
          this.control
            .saveDown(instance, down)
            .catch((error: unknown) =>
              this.ctx.logger.warn(`down state of ${instance} not stored: ${(error as Error).message}`),
            );
        observer.target?.(instance);
      },
      (instance) => {
        const processing = this.ctx.targets.get(instance)?.processing;
        return {
          downAfter: processing?.markDownAfter ?? options.markDownAfter ?? DEFAULT_AVAILABILITY.downAfter,
          probeInitialMs: processing?.initialDelayMs ?? DEFAULT_AVAILABILITY.probeInitialMs,
          probeMaxMs: processing?.maxDelayMs ?? DEFAULT_AVAILABILITY.probeMaxMs,
        };
      },
    );
    this.control.onStoredDown = (instance, down) => {
      if (down) this.availability.adopt(instance, down);
      else this.availability.release(instance);
    };
    this.coordinator = new DispatchCoordinator(this.ctx, this.control, this.overrides, this.stats, this.availability);
    this.quarantine = new Quarantine(this.ctx, this.overrides, this.stats);
  }

  /** The kill switch and pause per target, as dispatch sees them. */
  get gate() {
    return this.control.gate;
  }

  /** Loads stored control state and starts dispatch. */
  async start(): Promise<void> {
    this.coordinator.start();
    this.availability.start();
    await this.control.refresh();
    await this.stats.refresh();
    await this.ctx.bus.start(this.coordinator.handle);
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 1000);
    this.sweeper.unref();
    const watchEvery = this.options.overrideWatchIntervalMs ?? 5000;
    if (watchEvery > 0) {
      this.watcher = setInterval(() => void this.overrides.watch(), watchEvery);
      this.watcher.unref();
    }
    this.started = true;
  }

  /** Stops dispatch: waits in gates are released, the bus drains what is in flight. */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.watcher) clearInterval(this.watcher);
    this.coordinator.stop();
    this.availability.close();
    this.control.gate.close();
    await this.ctx.bus.stop();
    this.started = false;
  }

  isStarted(): boolean {
    return this.started;
  }

  /** Periodic work: approval expiry, and what other processes changed (control, queue depths). */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.control.refresh();
      await this.stats.refresh();
      await this.approvals.expireDue();
      if (this.ctx.now() - this.lastPrune >= ADMISSION_PRUNE_INTERVAL_MS) {
        this.lastPrune = this.ctx.now();
        await this.ctx.store.pruneAdmissions(this.lastPrune);
      }
    } catch (error) {
      this.ctx.logger.warn(`sweep failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  // Requests

  submit(request: WriteBackRequest, actor: Actor, revertOf?: Command): Promise<SubmitResult> {
    return this.intake.submit(request, actor, revertOf);
  }

  revert(commandId: string, reason: string, actor: Actor): Promise<SubmitResult> {
    return this.intake.revert(commandId, reason, actor);
  }

  /** The AI episode an applied AI write belongs to (its key's AI writes in a row since a person wrote). */
  async episodeOf(commandId: string): Promise<AiEpisode> {
    return (await this.episodes.of(commandId)).episode;
  }

  /** Reverts a whole AI episode to the value before its first write, in one command. */
  revertEpisode(commandId: string, reason: string, actor: Actor): Promise<SubmitResult & { episode: AiEpisode }> {
    return this.episodes.revert(commandId, reason, actor);
  }

  /** A quarantined command goes back to its key's queue, to be read and written again. */
  async release(commandId: string, actor: Actor, reason: string): Promise<WriteBackOutcome> {
    return toOutcome(await this.quarantine.release(commandId, actor, reason));
  }

  /** A quarantined command ends as the operator found it at the target. */
  async resolve(
    commandId: string,
    actor: Actor,
    outcome: 'applied' | 'not-applied',
    reason: string,
  ): Promise<WriteBackOutcome> {
    return toOutcome(await this.quarantine.resolve(commandId, actor, outcome, reason));
  }

  /** The stored command. */
  get(commandId: string): Promise<Command | undefined> {
    return this.ctx.store.findCommand(commandId);
  }

  // Approvals

  pendingApprovals(): Promise<Command[]> {
    return this.approvals.pending();
  }

  checkSigner(commandId: string, actor: Actor): Promise<Command> {
    return this.approvals.checkSigner(commandId, actor);
  }

  decide(commandId: string, actor: Actor, signature: ElectronicSignature, comment?: string): Promise<WriteBackOutcome> {
    return this.approvals.decide(commandId, actor, signature, comment);
  }

  // Control

  controlState(): ControlState {
    return this.control.state();
  }

  stopAll(actor: Actor, reason?: string): Promise<ControlState> {
    return this.control.stopAll(actor, reason);
  }

  resumeAll(actor: Actor, reason?: string): Promise<ControlState> {
    return this.control.resumeAll(actor, reason);
  }

  async setPaused(instance: string, paused: boolean, actor: Actor, reason?: string): Promise<void> {
    await this.control.setPaused(instance, paused, actor, reason);
  }

  async setShadow(instance: string, shadow: boolean, actor: Actor, reason?: string): Promise<void> {
    await this.control.setShadow(instance, shadow, actor, reason);
  }

  // Targets

  targetRuntimes(): TargetRuntime[] {
    return [...this.ctx.targets.values()];
  }

  /** Commands accepted for `instance` and not yet finished (queued or in flight). */
  queueDepth(instance: string): number {
    return this.stats.queueDepth(instance);
  }

  targetState(instance: string): TargetRuntimeState {
    const runtime = this.control.requireTarget(instance);
    return {
      paused: this.control.isPaused(instance),
      shadow: this.control.isShadow(runtime.instance),
      queueDepth: this.stats.queueDepth(instance),
      currentRate: this.stats.currentRate(instance),
      lastErrors: this.stats.errors(instance),
      ...(this.availability.isDown(instance) ? { down: this.availability.downState(instance) } : {}),
    };
  }
}
