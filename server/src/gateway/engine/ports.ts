import type { AuditRecord, CommandState, ControlState, ReasonCode } from '@loopgate/contracts';
import type { AuditEntry, RowChange } from '../../common/audit.port';
import type { TargetAdapter } from '../../targets/adapter';
import type { BusCommand } from '../bus/command-bus';
import type { ApprovalRule } from '../domain/approval-policy';
import type { Command } from '../domain/command';
import type { Admission, AdmissionState, GuardrailPolicy } from '../domain/guardrails';
import type { KeyWriteState } from '../domain/override-detection';
import type { ProcessingStrategy } from '../domain/retry-policy';

/**
 * One change the store makes; a `commit` runs its changes in one transaction. A `command` change
 * with `expectState` commits only while the stored command is still in that state (otherwise the
 * commit fails with `CommandConflictError`): for transitions two gateway processes may race for.
 */
export type StoreChange =
  | { kind: 'command'; command: Command; expectState?: CommandState }
  | { kind: 'audit'; entry: AuditEntry }
  | { kind: 'key-state'; state: KeyWriteState }
  | { kind: 'control'; key: string; value: unknown; actor: string }
  | { kind: 'outbox-add'; command: BusCommand; onCommitted?: (seq: number) => void }
  | { kind: 'outbox-remove'; commandId: string }
  /** Admits a write to a key against its stored rate and cooldown times; refused with AdmissionRefusedError. */
  | { kind: 'admit'; admission: Admission }
  /** Rows of another module's tables (an autonomy level change) stored with the audit record that tells of them. */
  | { kind: 'rows'; change: RowChange };

export type OutboxAdd = Extract<StoreChange, { kind: 'outbox-add' }>;

/** A guarded command change found the stored command moved on (another signer, process or sweep was first). */
export class CommandConflictError extends Error {
  constructor(
    readonly commandId: string,
    readonly expected: CommandState,
    readonly found: CommandState | undefined,
  ) {
    super(`command ${commandId} is ${found ?? 'missing'}, not ${expected}`);
    this.name = 'CommandConflictError';
  }
}

export interface CommitResult {
  /** The audit records appended, in the order of the `audit` changes. */
  audit: AuditRecord[];
}

/** A command waiting in the durable outbox, in the order it was published. */
export interface OutboxRow extends BusCommand {
  seq: number;
}

/**
 * Durable state. Commits made in the same tick are group-committed in one transaction, in call
 * order: a command and its outbox row committed together land together or not at all.
 */
export interface GatewayStore {
  commit(changes: StoreChange[]): Promise<CommitResult>;
  findCommand(id: string): Promise<Command | undefined>;
  findCommandByRequestId(requestId: string): Promise<Command | undefined>;
  /** Commands not yet in a terminal state, oldest first. */
  loadActiveCommands(): Promise<Command[]>;
  loadKeyStates(): Promise<KeyWriteState[]>;
  loadControl(): Promise<Map<string, unknown>>;
  /** Ordering keys and times of commands accepted since `since` (ISO). */
  loadAcceptedSince(since: string): Promise<{ orderingKey: string; decidedAt: string }[]>;
  /** What the store holds for `orderingKey`: admitted times its limits still count (oldest first) and the AI episode's baseline; no lock. */
  admissionState(orderingKey: string): Promise<AdmissionState>;
  /** Forgets the admission times of keys whose limits no longer count any of them; returns how many keys. */
  pruneAdmissions(now: number): Promise<number>;
  loadOutbox(): Promise<OutboxRow[]>;
  /**
   * One relay step of the transactional outbox, at most one at a time across every gateway process
   * on the database: under the relay lock, hands the oldest rows (at most `limit`, in sequence
   * order) to `relay` and, once it resolves, removes them. Resolves `undefined` without calling
   * `relay` while another process holds the lock; when `relay` throws, the rows stay.
   */
  relayOutbox(limit: number, relay: (rows: OutboxRow[]) => Promise<void>): Promise<RelayStep | undefined>;
  /** Commands in `state`, oldest first (pending approvals, for the console and the expiry sweep). */
  findCommandsInState(state: CommandState, limit?: number): Promise<Command[]>;
  /** Commands on `orderingKey` waiting for a signature, oldest first. */
  findPendingOnKey(orderingKey: string): Promise<Command[]>;
  /** The writes a key took (applied or since reverted), newest first: a key's recent history. */
  findLandedOnKey(orderingKey: string, limit: number): Promise<Command[]>;
  /** Commands queued or dispatching, per target instance. */
  countQueuedByTarget(): Promise<Map<string, number>>;
  /** Whether a command on `orderingKey` is queued or dispatching. */
  hasQueuedOnKey(orderingKey: string): Promise<boolean>;
  loadKeyState(orderingKey: string): Promise<KeyWriteState | undefined>;
  /**
   * Holds `orderingKey` for one dispatch, across every gateway process on the database: resolves
   * once no other process holds it (or rejects when `signal` aborts); release it when done.
   */
  claimKey(orderingKey: string, signal: AbortSignal): Promise<KeyClaim>;
}

export interface RelayStep {
  /** Rows handed to the relay and removed. */
  relayed: number;
  /** Whether rows may be left (the step took `limit` rows). */
  more: boolean;
}

export interface KeyClaim {
  /** Lets the key go; a later claim of this process is ordered after it, awaited or not. */
  release(): Promise<void>;
}

/** A configured target as the engine uses it. */
export interface TargetRuntime {
  instance: string;
  kind: TargetAdapter['kind'];
  adapter: TargetAdapter;
  policy: GuardrailPolicy;
  approvals: readonly ApprovalRule[];
  /** Shadow mode from configuration; the console may override it at run time. */
  shadow: boolean;
  /** Retries, outages, giving up (site `processing`); `DEFAULT_PROCESSING` with the policy's retry when absent. */
  processing?: ProcessingStrategy;
}

/** What the engine tells the outside (metrics, the outcome stream). Every method is optional. */
export interface EngineObserver {
  /** A command was created or changed state. */
  outcome?(command: Command): void;
  /** A guardrail or approval refused a command. */
  refused?(instance: string, code: ReasonCode): void;
  /** A command reached a terminal state; `latencyMs` from its event time to applied, when applied. */
  finished?(command: Command, latencyMs: number | undefined): void;
  control?(state: ControlState): void;
  target?(instance: string): void;
  /** An operator changed a value the gateway wrote: `commandId` wrote it. */
  overridden?(commandId: string): void;
}

export interface EngineLogger {
  warn(message: string): void;
  error(message: string): void;
}

export const CONSOLE_LOGGER: EngineLogger = {
  warn: (message) => process.stderr.write(`loopgate gateway: ${message}\n`),
  error: (message) => process.stderr.write(`loopgate gateway: ${message}\n`),
};
