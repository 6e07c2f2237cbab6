import type { ReasonCode, WriteBackRequest } from '@loopgate/contracts';
import type { ApprovalRequirement } from '../domain/approval-policy';
import type { Command } from '../domain/command';
import type { EngineObserver } from './ports';

/**
 * The level a new AI command's scope has earned (server/src/autonomy implements the policy), and
 * a refusal when the inputs it was decided on are not good enough to act on.
 */
export interface AutonomyJudgement {
  /** Absent when no scope governs the command. */
  level?: 'shadow' | 'supervised' | 'autonomous';
  /** The scope that matched, most specific first (`target|parameter|model`). */
  scope?: string;
  refusal?: { code: ReasonCode; message: string };
  /** For `supervised`: the signature every write of the scope waits for. */
  approval?: ApprovalRequirement;
}

/** Judges an AI request in intake: its scope's level and its inputs; undefined when there is nothing to say. */
export interface AutonomyPolicy {
  judge(command: Command, request: WriteBackRequest): Promise<AutonomyJudgement | undefined>;
}

/**
 * The engine's end of earned autonomy: the gateway module gives it to the engine, the autonomy
 * module attaches its policy and observer once it is built (it needs the engine for reverts).
 */
export class AutonomyHooks implements AutonomyPolicy, EngineObserver {
  private policy?: AutonomyPolicy;
  private observer?: EngineObserver;

  attach(policy: AutonomyPolicy, observer: EngineObserver): void {
    this.policy = policy;
    this.observer = observer;
  }

  judge(command: Command, request: WriteBackRequest): Promise<AutonomyJudgement | undefined> {
    return this.policy ? this.policy.judge(command, request) : Promise.resolve(undefined);
  }

  outcome(command: Command): void {
    this.observer?.outcome?.(command);
  }

  overridden(commandId: string): void {
    this.observer?.overridden?.(commandId);
  }
}
