import type { AiEpisode } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import { toOutcome, type Command } from '../domain/command';
import type { Actor, EngineContext, SubmitResult } from './context';
import type { Intake } from './intake';

/** The most writes of one key read to find where an episode began. */
export const EPISODE_READ_LIMIT = 1000;

/**
 * AI episodes: the AI's applied parameter writes to one key in a row, since a person last wrote it.
 * The operator undoes one with a single revert to the value before it began, instead of one revert
 * per step.
 */
export class Episodes {
  constructor(
    private readonly ctx: EngineContext,
    private readonly intake: Intake,
  ) {}

  /** The episode `commandId` belongs to; `open` while no person has written the key since. */
  async of(commandId: string): Promise<{ episode: AiEpisode; commands: Command[] }> {
    const command = await this.ctx.store.findCommand(commandId);
    if (!command) throw new UserError('NOT_FOUND', `no command ${commandId}`, 404);
    if (command.initiator !== 'ai' || command.action !== 'set-parameter' || !landed(command))
      throw new UserError(
        'NOT_IN_EPISODE',
        `command ${commandId} is not an applied AI parameter write (${command.initiator}, ${command.action}, ${command.state})`,
        409,
      );
    const history = await this.ctx.store.findLandedOnKey(command.orderingKey, EPISODE_READ_LIMIT);
    const at = history.findIndex((c) => c.id === command.id);
    if (at < 0) throw new UserError('NOT_IN_EPISODE', `command ${commandId} is not among its key's recent writes`, 409);
    // Newer writes after it that are the AI's too belong to the same episode; older ones likewise,
    // back to the first write by a person (or a revert).
    // A step reverted on its own ends the run; steps undone together (one revert) stay one episode.
    const step = (c: Command) =>
      c.initiator === 'ai' && c.action === 'set-parameter' && landed(c) && c.revertedBy === command.revertedBy;
    let newest = at;
    while (newest > 0 && step(history[newest - 1])) newest--;
    let oldest = at;
    while (oldest + 1 < history.length && step(history[oldest + 1])) oldest++;
    if (oldest + 1 === history.length && history.length === EPISODE_READ_LIMIT)
      throw new UserError(
        'EPISODE_TOO_LONG',
        `more than ${EPISODE_READ_LIMIT} AI writes in a row on ${command.orderingKey}: revert single steps`,
        409,
      );
    const commands = history.slice(newest, oldest + 1).reverse();
    const first = commands[0];
    const last = commands[commands.length - 1];
    if (first.priorValue === undefined || first.priorValue === null)
      throw new UserError('NOT_REVERTIBLE', `the episode's first write ${first.id} has no prior value`, 409);
    const episode: AiEpisode = {
      orderingKey: command.orderingKey,
      target: command.target,
      object: command.object,
      ...(command.parameter !== undefined ? { parameter: command.parameter } : {}),
      commandIds: commands.map((c) => c.id),
      firstAt: first.decidedAt ?? first.receivedAt,
      lastAt: last.decidedAt ?? last.receivedAt,
      valueBefore: first.priorValue,
      currentValue: last.newValue ?? null,
      open: newest === 0,
      ...(last.revertedBy ? { revertedBy: last.revertedBy } : {}),
    };
    return { episode, commands };
  }

  /**
   * Reverts the whole episode `commandId` belongs to: one command writing back the value from
   * before its first write, linked to its last write; every write of the episode names it as
   * `revertedBy`. Asking again returns the same revert.
   */
  async revert(commandId: string, reason: string, actor: Actor): Promise<SubmitResult & { episode: AiEpisode }> {
    const { episode, commands } = await this.of(commandId);
    const last = commands[commands.length - 1];
    if (last.revertedBy) {
      const revert = await this.ctx.store.findCommand(last.revertedBy);
      if (revert) return { created: false, outcome: toOutcome(revert), episode };
    }
    if (!episode.open)
      throw new UserError(
        'EPISODE_ENDED',
        `a person wrote ${episode.orderingKey} after this episode; revert single steps instead`,
        409,
      );
    const result = await this.intake.revertWith(
      last,
      episode.valueBefore,
      `revert:episode:${last.id}`,
      reason,
      actor,
      commands,
    );
    return { ...result, episode: { ...episode, ...(result.created ? { revertedBy: result.outcome.commandId } : {}) } };
  }
}

const landed = (c: Command) => c.state === 'applied' || c.state === 'reverted';
