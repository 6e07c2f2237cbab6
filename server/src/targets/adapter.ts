import type {
  Isa95ObjectRef,
  ParameterValue,
  TargetDescription,
  TargetKind,
  WriteBackAction,
} from '@loopgate/contracts';
import type { TargetSimulatorDefinition } from './sim-kit';

/**
 * What the gateway knows of a target. The gateway asks an adapter what it can do
 * (`capabilities`) and never branches on which MES it is.
 */
export interface TargetCapabilities {
  actions: readonly WriteBackAction[];
  /** The target can read a value back after a write, so a silent drop is detected. */
  readBack: boolean;
  /** Modifying a record needs an explicit lock (acquire → modify → release). */
  locks: boolean;
  /**
   * What one MES lock covers, where `locks` is true. `object`: the whole record (a FactoryTalk recipe
   * or work order), so writes to any of its parameters take turns behind one lock. Absent: the
   * parameter alone.
   */
  lockScope?: 'object';
  /** Creates carry an external reference and can be looked up before a retry. */
  idempotentCreate: boolean;
}

/** The address of one value at the target: an object and, for parameter actions, a parameter. */
export interface TargetAddress {
  object: Isa95ObjectRef;
  /** Parameter, attribute or OPC UA node the action reads or writes; absent for creates. */
  parameter?: string;
}

/** The command as an adapter sees it: no lineage, no approvals, just what to do. */
export interface TargetWrite extends TargetAddress {
  action: WriteBackAction;
  value?: ParameterValue;
  details?: Record<string, ParameterValue>;
  /** Stable per command: used as external reference for creates and as the MES's own idempotency key. */
  externalRef: string;
  reason: string;
  lock?: TargetLock;
  /** Who decided the write, for targets that flag AI changes where operators look (the HMI). */
  origin?: WriteOrigin;
}

/** Who decided a write: the AI (with its model) or a person, and the command that carries it. */
export interface WriteOrigin {
  initiator: 'ai' | 'human';
  modelId?: string;
  modelVersion?: string;
  commandId: string;
}

export interface TargetLock {
  token: string;
  expiresAt: number;
}

export interface ReadResult {
  /** `null` when the object exists but the value is unset; adapters throw NOT_FOUND as a UserError-kind failure. */
  value: ParameterValue | null;
  locked: boolean;
  /** Audited or closed records must not be written, whatever the request says. */
  audited: boolean;
  /** Who made the last change to the value, in the MES's own words (its user), where the target reports it. */
  changedBy?: string;
}

export interface WriteResult {
  /** The MES's own id of the transaction, kept in the audit. */
  mesTransactionId?: string;
  /** What the MES reports it applied, where it says. */
  appliedValue?: ParameterValue | null;
}

/** Kinds of failure an adapter reports; the dispatcher decides retries from these alone. */
export type TargetFailureKind =
  /** The MES said no (validation, not writable, wrong type): final, never retried. */
  | 'rejected'
  /** Credentials refused: final, never retried. */
  | 'auth'
  /** The record is locked by someone else: retried with backoff, then audited as LOCK_UNAVAILABLE. */
  | 'locked'
  /** A clear transient failure (5xx, connection refused before sending): retried. */
  | 'transient'
  /** The outcome is unknown (timeout, dropped connection after sending): read before retrying. */
  | 'unknown';

export class TargetError extends Error {
  /** For `locked`: who holds the lock, as the MES names them (e.g. `operator-console`), where it says. */
  readonly heldBy?: string;

  constructor(
    readonly kind: TargetFailureKind,
    /** Stable code, e.g. `NOT_WRITABLE`, `TYPE_MISMATCH`, `HTTP_503`, `TIMEOUT`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown; heldBy?: string },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'TargetError';
    if (options?.heldBy) this.heldBy = options.heldBy;
  }
}

/** What a read-back must show after a write; see `TargetAdapter.expectedAfter`. */
export interface ExpectedReadBack {
  address: TargetAddress;
  value: ParameterValue;
}

/**
 * One entry for the MES's own event log (seed 000: "POST an event to your MES event log API on
 * every transaction, success or failure"): a write-back outcome or a signed audit checkpoint.
 */
export interface MesLogEvent {
  /** Unique and stable: an event sent again carries the same id, and the MES keeps one of each. */
  id: string;
  /** `loopgate.writeback.<outcome>` or `loopgate.audit.checkpoint`. */
  type: string;
  /** When it happened (ISO 8601): the audit record's time, or the checkpoint's. */
  time: string;
  /** One line for a person reading the MES's log. */
  summary: string;
  /** The audit record or checkpoint as Loopgate holds it, hashes included. */
  data: Record<string, unknown>;
}

export interface TargetHealth {
  healthy: boolean;
  message?: string;
}

/**
 * One configured target instance. Every method may throw `TargetError`; anything else is a bug.
 * Adapters hold their own client-side rate limiter (`rateLimit` per second) and apply it to writes.
 */
export interface TargetAdapter {
  readonly kind: TargetKind;
  readonly instance: string;
  readonly capabilities: TargetCapabilities;
  /**
   * What the target offers, as its folder's `description.ts` declares it: the gateway refuses at
   * intake what it does not take. Absent for test doubles, which declare only `capabilities`.
   */
  readonly description?: TargetDescription;
  /** Writes per second the adapter lets through to the MES. */
  readonly rateLimit: number;
  read(address: TargetAddress): Promise<ReadResult>;
  write(command: TargetWrite): Promise<WriteResult>;
  /** For creates: finds what a previous attempt with this external reference created, if anything. */
  findCreated?(externalRef: string): Promise<WriteResult | null>;
  /**
   * Where a read-back finds the effect of `command` and what it must show, e.g. a `hold-lot` is
   * confirmed by the lot's `status` reading `Hold`. `null` for creates (confirmed by `findCreated`).
   * Absent: read `command`'s own address and compare with `command.value`.
   */
  expectedAfter?(command: TargetWrite): ExpectedReadBack | null;
  /**
   * Records `event` in the MES's event log, once: sending an id the log already holds is not an
   * error. Absent for a target without an event log. Called by the audit mirror, never by a
   * write; an adapter gives writes precedence over events where both share a budget at the MES.
   */
  logEvent?(event: MesLogEvent): Promise<void>;
  acquireLock?(address: TargetAddress): Promise<TargetLock>;
  releaseLock?(address: TargetAddress, lock: TargetLock): Promise<void>;
  health(): Promise<TargetHealth>;
  close(): Promise<void>;
}

/** Builds an adapter from its validated configuration; each target folder exports one. */
export interface TargetDefinition<C = unknown> {
  kind: TargetKind;
  /** What the target offers, declared once (`<kind>/description.ts`); `kind` and `actions` come from it. */
  description: TargetDescription;
  /** The actions its adapters support (their `capabilities.actions`), known without configuration or credentials. */
  actions: readonly WriteBackAction[];
  /** Validates raw configuration (from the config file or environment), naming bad fields. */
  parseConfig(raw: unknown): C;
  create(instance: string, config: C): TargetAdapter;
  /** A simulator of this target for `npm run sim`, the contract suite and the bench; absent for none. */
  simulator?: TargetSimulatorDefinition;
}
