import type { ControlState, ReasonCode } from '@loopgate/contracts';
import type { AuditEntry } from '../../common/audit.port';
import { UserError } from '../../common/errors';
import { ControlGate } from '../domain/control-gate';
import type { Actor, EngineContext } from './context';
import type { StoreChange, TargetRuntime } from './ports';
import type { TargetDown } from './target-availability';

const STOP_KEY = 'control:stop';
const targetKey = (instance: string) => `target:${instance}`;
const downKey = (instance: string) => `down:${instance}`;

/**
 * The kill switch, and pause and shadow mode per target. The stored control state is the truth:
 * it is loaded at start, refreshed at every sweep and read again before every write attempt
 * (`current`), so a stop or pause made through any gateway process holds in all of them from the
 * next attempt on. A change that changes nothing is answered without a new record. A target's down
 * verdict is stored here too (`saveDown`), and a stored change is handed to `onStoredDown`.
 */
export class DispatchControl {
  readonly gate: ControlGate;
  private control: ControlState = { stopped: false };
  private readonly shadowOverride = new Map<string, boolean>();
  /** Control changes made here: started, and still being stored. A refresh that overlaps one is dropped. */
  private version = 0;
  private changing = 0;
  /** Calls of `current()` so far, and the read under way with the last call it answers. */
  private asked = 0;
  private reading?: { covers: number; promise: Promise<void> };
  /** The stored down verdict last seen per target (`since`, or '' for up). */
  private readonly downSeen = new Map<string, string>();
  /** Told when the stored down verdict of a target changes (another process marked it down or up). */
  onStoredDown?: (instance: string, down: TargetDown | undefined) => void;

  constructor(private readonly ctx: EngineContext) {
    this.gate = new ControlGate(() => ctx.now());
  }

  /** Applies the stored control state; a refresh that overlapped a change made here is dropped. */
  async refresh(): Promise<void> {
    const version = this.version;
    const stored = await this.ctx.store.loadControl();
    if (version === this.version && this.changing === 0) this.apply(stored);
  }

  /**
   * Brings the control state up to what the store holds now: resolves after a read that began
   * after the call, so a stop or pause made through another gateway process is seen before the
   * next write attempt starts. Concurrent callers share one read. A store that cannot be read
   * leaves the last known state in force (logged).
   */
  async current(): Promise<void> {
    const me = ++this.asked;
    for (;;) {
      const running = this.reading;
      if (running && running.covers >= me) return running.promise;
      if (running) {
        await running.promise;
        continue;
      }
      const promise = this.refresh()
        .catch((error: unknown) =>
          this.ctx.logger.warn(`control state not read, the last known holds: ${(error as Error).message}`),
        )
        .finally(() => {
          if (this.reading?.promise === promise) this.reading = undefined;
        });
      this.reading = { covers: this.asked, promise };
      return promise;
    }
  }

  state(): ControlState {
    return { ...this.control };
  }

  isShadow(instance: string): boolean {
    return this.shadowOverride.get(instance) ?? this.ctx.targets.get(instance)?.shadow ?? false;
  }

  isPaused(instance: string): boolean {
    return this.gate.isPaused(instance);
  }

  /** The kill switch: no attempt starts until resumed; queued commands keep their order. */
  async stopAll(actor: Actor, reason?: string): Promise<ControlState> {
    // Judged on the stored state: another gateway process may have stopped or resumed already.
    await this.refresh();
    if (this.control.stopped) return this.state();
    this.gate.setStopped(true);
    this.control = { stopped: true, stoppedBy: actor.id, stoppedAt: new Date(this.ctx.now()).toISOString() };
    await this.commit([
      { kind: 'control', key: STOP_KEY, value: this.control, actor: actor.id },
      {
        kind: 'audit',
        entry: audit('KILL_SWITCH', `dispatch stopped${reason ? `: ${reason}` : ''}`, actor, reason),
      },
    ]);
    this.ctx.observer.control?.(this.state());
    return this.state();
  }

  /** Resumes dispatch; when nothing is stopped (here or in the store) nothing is recorded. */
  async resumeAll(actor: Actor, reason?: string): Promise<ControlState> {
    await this.refresh();
    if (!this.control.stopped) return this.state();
    this.control = { stopped: false };
    await this.commit([
      { kind: 'control', key: STOP_KEY, value: this.control, actor: actor.id },
      { kind: 'audit', entry: audit('KILL_SWITCH', `dispatch resumed${reason ? `: ${reason}` : ''}`, actor, reason) },
    ]);
    this.gate.setStopped(false);
    this.ctx.observer.control?.(this.state());
    return this.state();
  }

  /** Pauses or resumes one target; `false` when it already was so (nothing recorded). */
  async setPaused(instance: string, paused: boolean, actor: Actor, reason?: string): Promise<boolean> {
    this.requireTarget(instance);
    await this.refresh();
    if (this.gate.isPaused(instance) === paused) return false;
    this.gate.setPaused(instance, paused);
    await this.saveTarget(
      instance,
      actor,
      'TARGET_PAUSED',
      `${instance} ${paused ? 'paused' : 'resumed'}${reason ? `: ${reason}` : ''}`,
      reason,
    );
    return true;
  }

  /** Turns shadow mode on or off; `false` when it already was so (nothing recorded). */
  async setShadow(instance: string, shadow: boolean, actor: Actor, reason?: string): Promise<boolean> {
    this.requireTarget(instance);
    await this.refresh();
    if (this.isShadow(instance) === shadow) return false;
    this.shadowOverride.set(instance, shadow);
    await this.saveTarget(
      instance,
      actor,
      'SHADOW_MODE',
      `${instance} shadow mode ${shadow ? 'on' : 'off'}${reason ? `: ${reason}` : ''}`,
      reason,
    );
    return true;
  }

  /** Stores this process's verdict on `instance` (down since …, or up again) for every process to take. */
  async saveDown(instance: string, down: TargetDown | undefined): Promise<void> {
    this.downSeen.set(instance, down?.since ?? '');
    const value = down ? { since: down.since, reason: down.reason } : null;
    await this.commit([{ kind: 'control', key: downKey(instance), value, actor: 'gateway' }]);
  }

  requireTarget(instance: string): TargetRuntime {
    const runtime = this.ctx.targets.get(instance);
    if (!runtime) throw new UserError('NOT_FOUND', `no target instance "${instance}" is configured`, 404);
    return runtime;
  }

  private apply(stored: Map<string, unknown>): void {
    const stop = stored.get(STOP_KEY) as ControlState | undefined;
    if ((stop?.stopped ?? false) !== this.control.stopped) {
      this.control = stop?.stopped ? stop : { stopped: false };
      this.gate.setStopped(this.control.stopped);
      this.ctx.observer.control?.(this.state());
    }
    for (const instance of this.ctx.targets.keys()) {
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
      if (changed) this.ctx.observer.target?.(instance);
      const down = stored.get(downKey(instance)) as TargetDown | null | undefined;
      if ((down?.since ?? '') !== (this.downSeen.get(instance) ?? '')) {
        this.downSeen.set(instance, down?.since ?? '');
        this.onStoredDown?.(instance, down ?? undefined);
      }
    }
  }

  private async saveTarget(
    instance: string,
    actor: Actor,
    code: ReasonCode,
    message: string,
    reason: string | undefined,
  ): Promise<void> {
    const value = {
      paused: this.gate.isPaused(instance),
      ...(this.shadowOverride.has(instance) ? { shadow: this.shadowOverride.get(instance) } : {}),
    };
    await this.commit([
      { kind: 'control', key: targetKey(instance), value, actor: actor.id },
      {
        kind: 'audit',
        entry: {
          ...audit(code, message, actor, reason),
          target: { kind: this.requireTarget(instance).kind, instance },
        },
      },
    ]);
    this.ctx.observer.target?.(instance);
  }

  private async commit(changes: StoreChange[]): Promise<void> {
    this.version += 1;
    this.changing += 1;
    try {
      await this.ctx.store.commit(changes);
    } finally {
      this.changing -= 1;
      this.version += 1;
    }
  }
}

function audit(code: ReasonCode, message: string, actor: Actor, reason: string | undefined): AuditEntry {
  return {
    outcome: 'security',
    reasonCode: code,
    message,
    ...(reason ? { reason } : {}),
    actor: actor.id,
    lineage: {},
  };
}
