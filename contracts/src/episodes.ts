import type { Isa95ObjectRef, ParameterValue, TargetRef, WriteBackOutcome } from './writeback';

/**
 * An AI episode on one key: the AI's applied parameter writes in a row, since a person last wrote
 * the key. Reverting it writes back the value from before its first write, in one command.
 */
export interface AiEpisode {
  orderingKey: string;
  target: TargetRef;
  object: Isa95ObjectRef;
  parameter?: string;
  /** The episode's commands, oldest first. */
  commandIds: string[];
  firstAt: string;
  lastAt: string;
  /** The value before the AI's first write: what a revert of the episode restores. */
  valueBefore: ParameterValue;
  /** The value the AI's last write left. */
  currentValue: ParameterValue | null;
  /** True while no person has written the key since: the episode can be reverted as a whole. */
  open: boolean;
  /** The revert that undid the episode, once there is one. */
  revertedBy?: string;
}

/** `POST /writebacks/{id}/revert-episode`: the revert command and the episode it undoes. */
export interface EpisodeRevertResult {
  revert: WriteBackOutcome;
  episode: AiEpisode;
}
