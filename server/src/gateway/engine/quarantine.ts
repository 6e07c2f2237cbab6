import { UserError } from '../../common/errors';
import { moveTo, type Command } from '../domain/command';
import { iso, type Actor, type EngineContext } from './context';
import type { OverrideWatch } from './override-watch';
import { CommandConflictError, type StoreChange } from './ports';
import type { TargetStatistics } from './target-statistics';

/**
 * What an operator does with a quarantined command (one the gateway could not resolve by itself):
 * release it, so it is written again from a fresh read, or resolve it as applied or not applied
 * from what they checked at the target. Each is audited with the operator and the reason; the
 * dispatch holding the key (in whichever process) sees the stored change and goes on.
 *
 * @example await quarantine.resolve(id, operator, 'applied', 'the console shows 1250, set by the gateway');
 */
export class Quarantine {
  constructor(
    private readonly ctx: EngineContext,
    private readonly overrides: OverrideWatch,
    private readonly stats: TargetStatistics,
  ) {}

  /** Back in its key's queue: read again (an unexplained value taken as not landed) and written again. */
  async release(commandId: string, actor: Actor, reason: string): Promise<Command> {
    const held = await this.held(commandId);
    const message = `released from quarantine by ${actor.id}: ${reason}`;
    const released = moveTo(held, 'queued', { reasonCode: 'QUARANTINE_RELEASED', message }, iso(this.ctx));
    await this.commit(released, 'retried', message, actor);
    return released;
  }

  /** Ends it as the operator found it at the target: `applied` (or `reverted` for a revert), or `failed`. */
  async resolve(commandId: string, actor: Actor, outcome: 'applied' | 'not-applied', reason: string): Promise<Command> {
    const held = await this.held(commandId);
    const at = iso(this.ctx);
    const applied = outcome === 'applied';
    const state = applied ? (held.revertOf !== undefined ? 'reverted' : 'applied') : 'failed';
    const message = `resolved by ${actor.id} as ${applied ? 'applied' : 'not applied'}: ${reason}`;
    const done = moveTo(
      held,
      state,
      {
        reasonCode: 'QUARANTINE_RESOLVED',
        message,
        decidedAt: held.decidedAt ?? at,
        ...(applied ? { appliedAt: at, ...(held.value !== undefined ? { newValue: held.value } : {}) } : {}),
      },
      at,
    );
    // Applied: the value is the gateway's, so a later change to it is someone else's (override detection).
    const extra: StoreChange[] = applied ? [{ kind: 'key-state', state: this.overrides.written(done, at) }] : [];
    await this.commit(done, state, message, actor, extra);
    this.stats.finished(done, true);
    this.ctx.observer.finished?.(done, undefined);
    return done;
  }

  private async held(commandId: string): Promise<Command> {
    const command = await this.ctx.store.findCommand(commandId);
    if (!command) throw new UserError('NOT_FOUND', `no command ${commandId}`, 404);
    if (command.state !== 'quarantined') {
      throw new UserError('NOT_QUARANTINED', `command ${commandId} is ${command.state}, not quarantined`, 409);
    }
    return command;
  }

  private async commit(
    command: Command,
    outcome: 'retried' | 'applied' | 'reverted' | 'failed',
    message: string,
    actor: Actor,
    extra: StoreChange[] = [],
  ): Promise<void> {
    try {
      await this.ctx.journal.record(
        command,
        outcome,
        { reasonCode: command.reasonCode, message, actor: actor.id },
        { expectState: 'quarantined', extra },
      );
    } catch (error) {
      // Another operator (or process) acted first.
      if (error instanceof CommandConflictError) {
        throw new UserError('NOT_QUARANTINED', `command ${command.id} is ${error.found}, not quarantined`, 409);
      }
      throw error;
    }
  }
}
