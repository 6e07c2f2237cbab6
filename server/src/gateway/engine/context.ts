import type { WriteBackOutcome } from '@loopgate/contracts';
import type { CommandBus } from '../bus/command-bus';
import type { AutonomyPolicy } from './autonomy-port';
import type { Command } from '../domain/command';
import type { Journal } from './journal';
import type { EngineLogger, EngineObserver, GatewayStore, TargetRuntime } from './ports';

/** Who asks: a user name or `token:<name>`, what they may do, and how they authenticated. */
export interface Actor {
  id: string;
  displayName?: string;
  permissions: readonly string[];
  /** A service token speaks for automation (a flow, a model); a console session for a person. */
  kind?: 'user' | 'service';
}

export interface SubmitResult {
  created: boolean;
  outcome: WriteBackOutcome;
}

/** What every part of the engine shares: one store, one bus, one clock, one journal. */
export interface EngineContext {
  store: GatewayStore;
  bus: CommandBus;
  targets: ReadonlyMap<string, TargetRuntime>;
  observer: EngineObserver;
  logger: EngineLogger;
  /** The one clock (epoch ms) every decision reads. */
  now(): number;
  journal: Journal;
  /** Earned autonomy: the level of an AI request's scope. */
  autonomy?: AutonomyPolicy;
}

export const iso = (ctx: Pick<EngineContext, 'now'>): string => new Date(ctx.now()).toISOString();

/** The bus message of a command. */
export function busCommandOf(command: Command) {
  return { commandId: command.id, orderingKey: command.orderingKey, targetInstance: command.target.instance };
}
