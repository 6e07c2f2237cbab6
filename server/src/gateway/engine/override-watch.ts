import type { ParameterValue } from '@loopgate/contracts';
import type { Command } from '../domain/command';
import { OverrideTracker, type KeyWriteState } from '../domain/override-detection';
import { auditEntryFor } from './audit-entries';
import type { EngineContext } from './context';
import type { DispatchControl } from './dispatch-control';
import type { TargetStatistics } from './target-statistics';

export interface OverrideWatchOptions {
  /** Values written within this window are watched. */
  windowSeconds?: number;
  /** At most this many keys are remembered (the least recently written are forgotten). */
  maxKeys?: number;
  /** At most this many keys are read per round. */
  perRound?: number;
}

/**
 * Notices operator overrides of values the gateway wrote. The stored key state (what was written
 * last, and any hold) is the truth; this process keeps a bounded cache of it and, between writes,
 * reads back only the keys it wrote itself, so N processes share the work and memory stays flat.
 */
export class OverrideWatch {
  readonly tracker: OverrideTracker;
  /** Per key, the command whose write this process applied last (insertion order = age). */
  private readonly writtenHere = new Map<string, string>();
  private watching = false;
  private readonly maxKeys: number;

  constructor(
    private readonly ctx: EngineContext,
    private readonly control: DispatchControl,
    private readonly stats: TargetStatistics,
    private readonly options: OverrideWatchOptions = {},
  ) {
    this.maxKeys = options.maxKeys ?? 10_000;
    this.tracker = new OverrideTracker(this.maxKeys);
  }

  /** The stored state of `key`, into the cache; what the next decision on the key compares with. */
  async refresh(key: string): Promise<KeyWriteState | undefined> {
    const stored = await this.ctx.store.loadKeyState(key);
    if (stored) this.tracker.load([stored]);
    return stored;
  }

  /** This process applied `command` to its key: the key is watched from here. */
  written(command: Command, at: string, holdUntil?: string): KeyWriteState {
    const state = this.tracker.recordWrite(command.orderingKey, command.newValue ?? null, command.id, at, holdUntil);
    this.writtenHere.delete(command.orderingKey);
    this.writtenHere.set(command.orderingKey, command.id);
    if (this.writtenHere.size > this.maxKeys) this.writtenHere.delete(this.writtenHere.keys().next().value as string);
    return state;
  }

  /**
   * Audits a value the gateway wrote that someone else changed, against the command that wrote it:
   * an external change, by the user the target names, never blamed on an operator without evidence.
   */
  async audit(
    command: Command,
    written: ParameterValue | null,
    found: ParameterValue | null,
    holdUntil: string | undefined,
    changedBy?: string,
  ): Promise<void> {
    const state = this.tracker.get(command.orderingKey);
    const who = changedBy
      ? `by ${changedBy} (as the target reports)`
      : 'outside the gateway (the target does not say by whom)';
    await this.ctx.journal.append(
      [
        {
          ...auditEntryFor(command, 'overridden', {
            reasonCode: 'EXTERNAL_CHANGE',
            message: `value written by the gateway (${JSON.stringify(written)}${state ? `, command ${state.commandId}` : ''}) was changed to ${JSON.stringify(found)} ${who}; AI writes held until ${holdUntil}`,
            priorValue: written,
            newValue: found,
            actor: changedBy ?? 'unknown',
          }),
          ...(state ? { commandId: state.commandId, requestId: undefined } : {}),
        },
      ],
      state ? [{ kind: 'key-state', state }] : [],
    );
    this.ctx.observer.refused?.(command.target.instance, 'OVERRIDE_HOLD');
    this.ctx.observer.overridden?.(state?.commandId ?? command.id);
  }

  /**
   * Reads back values this process wrote recently on keys with nothing queued, so an operator's
   * override is audited (and AI writes held) when it happens, not only when the next write comes.
   */
  async watch(): Promise<void> {
    if (this.watching) return;
    this.watching = true;
    try {
      const since = this.ctx.now() - (this.options.windowSeconds ?? 3600) * 1000;
      const candidates = [...this.writtenHere]
        .reverse()
        .map(([key, commandId]) => ({ key, commandId, state: this.tracker.get(key) }))
        .filter((c) => c.state && c.state.commandId === c.commandId && Date.parse(c.state.writtenAt) >= since)
        .slice(0, this.options.perRound ?? 200);
      for (const { key, commandId } of candidates) await this.check(key, commandId);
    } catch (error) {
      this.ctx.logger.warn(`override watch failed: ${(error as Error).message}`);
    } finally {
      this.watching = false;
    }
  }

  private async check(key: string, commandId: string): Promise<void> {
    const stored = await this.refresh(key);
    if (stored?.commandId !== commandId) {
      this.writtenHere.delete(key);
      return;
    }
    if (await this.ctx.store.hasQueuedOnKey(key)) return;
    const command = await this.ctx.store.findCommand(commandId);
    const runtime = command && this.ctx.targets.get(command.target.instance);
    if (!command || !runtime || !runtime.adapter.capabilities.readBack || command.parameter === undefined) return;
    if (this.control.gate.state(runtime.instance) !== 'open') return;
    let value: ParameterValue | null;
    let changedBy: string | undefined;
    try {
      const read = await runtime.adapter.read({ object: command.object, parameter: command.parameter });
      value = read.value;
      changedBy = read.changedBy;
    } catch (error) {
      this.stats.noteFailure(runtime.instance, 'OVERRIDE_WATCH_READ_FAILED', (error as Error).message);
      return;
    }
    // A write may have started on the key while reading: its dispatch judges the value.
    if (await this.ctx.store.hasQueuedOnKey(key)) return;
    if (this.tracker.get(key)?.commandId !== commandId) return;
    const observed = this.tracker.observe(key, value, this.ctx.now(), runtime.policy.overrideHoldSeconds, changedBy);
    if (observed) {
      await this.audit(command, observed.written, observed.found, observed.state.holdUntil, observed.changedBy);
    }
  }
}
