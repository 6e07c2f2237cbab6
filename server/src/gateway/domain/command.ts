import {
  isTerminalCommandState,
  type ApprovalInfo,
  type CommandState,
  type Isa95ObjectRef,
  type Lineage,
  type ParameterValue,
  type ReasonCode,
  type TargetRef,
  type WriteBackAction,
  type WriteBackOutcome,
} from '@loopgate/contracts';

/** A write-back command as the gateway keeps it: the request, its decision and its progress. */
export interface Command {
  id: string;
  requestId: string;
  state: CommandState;
  reasonCode?: ReasonCode;
  message?: string;
  target: TargetRef;
  object: Isa95ObjectRef;
  action: WriteBackAction;
  parameter?: string;
  /** The requested value. */
  value?: ParameterValue;
  details?: Record<string, ParameterValue>;
  /** Read at the target just before the write. */
  priorValue?: ParameterValue | null;
  /** What the target shows after the write. */
  newValue?: ParameterValue | null;
  orderingKey: string;
  reason: string;
  /** Effective expiry (ISO 8601 UTC). */
  notAfter: string;
  initiator: 'ai' | 'human';
  requestedBy: string;
  lineage: Lineage;
  revertOf?: string;
  revertedBy?: string;
  approval?: ApprovalInfo;
  mesTransactionId?: string;
  /** Write attempts sent to the target; more than 0 after a restart means the outcome must be read first. */
  attempts: number;
  eventTime?: string;
  receivedAt: string;
  decidedAt?: string;
  appliedAt?: string;
  updatedAt: string;
}

/** Moves a command on in its life; terminal states never change (a bug if asked to). */
const NEXT: Record<CommandState, readonly CommandState[]> = {
  'pending-approval': ['queued', 'rejected', 'expired'],
  // A step approval rule judged at dispatch (the target did not answer at submit) sends it to a signer.
  queued: [
    'dispatching',
    'pending-approval',
    'quarantined',
    'applied',
    'shadow',
    'rejected',
    'failed',
    'expired',
    'reverted',
  ],
  dispatching: ['reconciling', 'quarantined', 'applied', 'shadow', 'rejected', 'failed', 'expired', 'reverted'],
  // Only a read ends it: applied or reverted when the value is there, else back to writing, failed or expired.
  reconciling: ['dispatching', 'quarantined', 'applied', 'failed', 'expired', 'reverted'],
  // Only an operator ends it: released (written again) or resolved as applied (reverted) or not applied.
  quarantined: ['queued', 'applied', 'reverted', 'failed'],
  applied: [],
  shadow: [],
  rejected: [],
  failed: [],
  expired: [],
  reverted: [],
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly commandId: string,
    readonly from: CommandState,
    readonly to: CommandState,
  ) {
    super(`command ${commandId} cannot move from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function canMove(from: CommandState, to: CommandState): boolean {
  return NEXT[from].includes(to);
}

/** Returns the command in its next state with `patch` applied; throws on an illegal move. */
export function moveTo(command: Command, to: CommandState, patch: Partial<Command>, at: string): Command {
  if (command.state !== to && !canMove(command.state, to))
    throw new IllegalTransitionError(command.id, command.state, to);
  return { ...command, ...patch, state: to, updatedAt: at };
}

/** Accepted and not finished: waiting its turn, being written, reconciled or in quarantine; it holds its key. */
export function isInQueue(state: CommandState): boolean {
  return state === 'queued' || state === 'dispatching' || state === 'reconciling' || state === 'quarantined';
}

export function isTerminal(command: Command): boolean {
  return isTerminalCommandState(command.state);
}

/** What the API and the outcome stream say about a command. */
export function toOutcome(command: Command): WriteBackOutcome {
  return {
    commandId: command.id,
    requestId: command.requestId,
    state: command.state,
    ...(command.reasonCode ? { reasonCode: command.reasonCode } : {}),
    ...(command.message ? { message: command.message } : {}),
    target: command.target,
    object: command.object,
    action: command.action,
    ...(command.parameter !== undefined ? { parameter: command.parameter } : {}),
    ...(command.priorValue !== undefined ? { priorValue: command.priorValue } : {}),
    ...(command.newValue !== undefined
      ? { newValue: command.newValue }
      : command.value !== undefined
        ? { newValue: command.value }
        : {}),
    ...(command.mesTransactionId ? { mesTransactionId: command.mesTransactionId } : {}),
    initiator: command.initiator,
    lineage: command.lineage,
    ...(command.revertOf ? { revertOf: command.revertOf } : {}),
    ...(command.revertedBy ? { revertedBy: command.revertedBy } : {}),
    requestedBy: command.requestedBy,
    ...(command.approval ? { approval: command.approval } : {}),
    timings: {
      receivedAt: command.receivedAt,
      ...(command.decidedAt ? { decidedAt: command.decidedAt } : {}),
      ...(command.appliedAt ? { appliedAt: command.appliedAt } : {}),
    },
  };
}
