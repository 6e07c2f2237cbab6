import type { TargetKind } from './target-catalogue';

/** What a write-back can do to an ISA-95 object at a target. */
export const WRITE_BACK_ACTIONS = [
  'set-parameter',
  'reroute-work-order',
  'hold-lot',
  'release-lot',
  'update-work-order-status',
  'create-maintenance-work-order',
  'create-quality-event',
] as const;
export type WriteBackAction = (typeof WRITE_BACK_ACTIONS)[number];

/**
 * What an action other than `set-parameter` changes, in the plant's words: the `parameter` of its
 * audit records, so every record names what changed.
 */
export const CHANGED_BY_ACTION: Record<Exclude<WriteBackAction, 'set-parameter'>, string> = {
  'reroute-work-order': 'work center (routing)',
  'hold-lot': 'lot status',
  'release-lot': 'lot status',
  'update-work-order-status': 'work order status',
  'create-maintenance-work-order': 'maintenance work order',
  'create-quality-event': 'quality event',
};

/** Actions that create a record: before them there was none (their prior value is `null`). */
export const CREATING_ACTIONS: readonly WriteBackAction[] = ['create-maintenance-work-order', 'create-quality-event'];

/** ISA-95 object types a write-back acts on. */
export const ISA95_OBJECT_TYPES = ['equipment', 'work-order', 'material-lot', 'recipe-parameter'] as const;
export type Isa95ObjectType = (typeof ISA95_OBJECT_TYPES)[number];

/** Where an object sits in the ISA-95 equipment hierarchy (all levels optional below enterprise). */
export interface EquipmentPath {
  enterprise?: string;
  site?: string;
  area?: string;
  workCenter?: string;
  workUnit?: string;
  equipmentClass?: string;
}

export interface Isa95ObjectRef {
  type: Isa95ObjectType;
  /** The object's id in the MES: equipment id, work order id, lot id, recipe id. */
  id: string;
  equipment?: EquipmentPath;
}

/** Which flow, rule and inference produced a request; every audit record carries it. */
export interface Lineage {
  flowId?: string;
  flowVersion?: string;
  nodeId?: string;
  ruleSetId?: string;
  ruleSetVersion?: number;
  ruleName?: string;
  inferenceId?: string;
  modelId?: string;
  modelVersion?: string;
  score?: number;
  /** The inputs the decision was made on: each one's source time and quality, as the palette read them. */
  inputs?: InputSample[];
  /** Set by the gateway, never by the caller: the autonomy level the decision was made at and its scope. */
  autonomyLevel?: 'shadow' | 'supervised' | 'autonomous';
  autonomyScope?: string;
}

/**
 * One input of a decision: its name (OPC UA node id, topic), source time and quality. `statusCode`
 * is the OPC UA StatusCode (its two top bits: 0 Good, 1 Uncertain, 2 Bad); `quality` says the same
 * for sources without one.
 *
 * @example { name: 'ns=2;s=CNC-01.SpindleLoad', sourceTime: '2026-12-03T08:00:00.120Z', statusCode: 0 }
 */
export interface InputSample {
  name: string;
  sourceTime?: string;
  statusCode?: number;
  quality?: 'good' | 'uncertain' | 'bad';
}

/**
 * A KPI watched before and after a write (earned autonomy): the source (a fact the flow reports,
 * an MQTT topic, an OPC UA node id), the direction it should move, the window and the tolerance.
 *
 * @example { kpi: 'CNC-01/spindleLoad', expected: 'decrease', windowSeconds: 300, tolerance: 2 }
 */
export interface EffectCheckSpec {
  kpi: string;
  expected: 'increase' | 'decrease';
  windowSeconds: number;
  tolerance: number;
  /** After-window against the before-window's mean (default) or its straight-line trend (a KPI that drifts by itself). */
  compare?: 'means' | 'trend';
}

export interface TargetRef {
  kind: TargetKind;
  /** A configured instance of that kind, e.g. `opcenter-line1`. */
  instance: string;
}

export type ParameterValue = string | number | boolean;

/**
 * A request to change something in the MES. The caller picks `requestId`: a second
 * request with the same id returns the first command and never writes twice.
 *
 * @example
 * { requestId: 'inf-42:feed', target: { kind: 'opcenter', instance: 'opcenter-demo' },
 *   object: { type: 'recipe-parameter', id: 'CNC-01/OP20' }, action: 'set-parameter',
 *   parameter: 'FeedRate', value: 1180, reason: 'tool wear compensation',
 *   notAfter: '2026-11-22T10:00:30.000Z', initiator: 'ai', lineage: { inferenceId: 'inf-42' } }
 */
export interface WriteBackRequest {
  requestId: string;
  lineage: Lineage;
  target: TargetRef;
  object: Isa95ObjectRef;
  action: WriteBackAction;
  parameter?: string;
  value?: ParameterValue;
  /** Action-specific fields: destination work center, status, priority, description. */
  details?: Record<string, ParameterValue>;
  reason: string;
  /** ISO 8601; a command not applied by then is dropped as stale, never applied late. */
  notAfter: string;
  /**
   * Ignored when sent to the gateway: the initiator is who authenticated (a service token is `ai`,
   * a signed-in person `human`); the gateway fills it in. Kept for callers that still send it.
   */
  initiator?: 'ai' | 'human';
  /** ISO 8601 time of the event that triggered the request (the inference); decision latency is measured from it. */
  eventTime?: string;
  /** The KPI that tells whether the write helped; measured before and after it is applied. */
  effectCheck?: EffectCheckSpec;
}

/** Where a command is in its life. Terminal states never change again. */
export const COMMAND_STATES = [
  'pending-approval',
  'queued',
  'dispatching',
  /** The write may have landed (sent, answer lost, or the confirming read failed): read until the target tells. */
  'reconciling',
  /**
   * The gateway cannot resolve the outcome (reconciling past its limit, the target shows a value it
   * cannot explain, or attempts ran out under `giveUp: quarantine`): it holds its key until an
   * operator releases it (write again) or resolves it as applied or not applied, with a reason.
   */
  'quarantined',
  'applied',
  'shadow',
  'rejected',
  'failed',
  'expired',
  'reverted',
] as const;
export type CommandState = (typeof COMMAND_STATES)[number];
export const TERMINAL_COMMAND_STATES: readonly CommandState[] = [
  'applied',
  'shadow',
  'rejected',
  'failed',
  'expired',
  'reverted',
];

export function isTerminalCommandState(state: CommandState): boolean {
  return TERMINAL_COMMAND_STATES.includes(state);
}

/** Stable reason codes for refusals and failures; the console and audit show these. */
export const REASON_CODES = [
  'SAFETY_INTERLOCK',
  'OUT_OF_BOUNDS',
  'STEP_TOO_LARGE',
  'RATE_LIMITED',
  'COOLDOWN',
  /** The write would move the value further from its baseline than the key's drift budget allows. */
  'DRIFT_BUDGET_EXCEEDED',
  'RECORD_LOCKED',
  'LOCK_UNAVAILABLE',
  'EXPIRED',
  'TARGET_PAUSED',
  'KILL_SWITCH',
  'SHADOW_MODE',
  'APPROVAL_REQUIRED',
  'APPROVAL_REJECTED',
  'APPROVAL_EXPIRED',
  'OVERRIDE_HOLD',
  'OPERATOR_OVERRIDE',
  'UNKNOWN_TARGET',
  'UNSUPPORTED_ACTION',
  /** The command lacks what its action needs at this target (a parameter, a value, a required detail), or names a detail it does not take. */
  'INVALID_COMMAND',
  'TYPE_MISMATCH',
  'NOT_WRITABLE',
  'ACCESS_DENIED',
  'AUTH_FAILED',
  'MES_REJECTED',
  'NOT_CONFIRMED',
  'RETRIES_EXHAUSTED',
  'REVERT',
  'INTERNAL_ERROR',
  /** The target does not answer (5xx, refused, silent): the key's queue waits. */
  'TARGET_UNAVAILABLE',
  /** A write may have landed: the command is `reconciling` until a read tells. */
  'OUTCOME_UNKNOWN',
  /** The command went to quarantine: an operator must release or resolve it. */
  'QUARANTINED',
  /** An operator released a quarantined command: it is written again from a fresh read. */
  'QUARANTINE_RELEASED',
  /** An operator resolved a quarantined command as applied or not applied, with a reason. */
  'QUARANTINE_RESOLVED',
  /** A value changed at the target that no write of the gateway explains. */
  'EXTERNAL_CHANGE',
  /** An input the decision was made on has Bad quality (OPC UA status severity Bad). */
  'INPUT_BAD',
  /** An input the decision was made on has Uncertain quality. */
  'INPUT_UNCERTAIN',
  /** An input the decision was made on is older than the site allows. */
  'INPUT_STALE',
  /** An input's source time is ahead of the gateway's clock by more than the site allows. */
  'CLOCK_SKEW',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface CommandTimings {
  /** ISO 8601 UTC with milliseconds. */
  receivedAt: string;
  decidedAt?: string;
  appliedAt?: string;
}

/** What the gateway answers about a command, now or at its end. */
export interface WriteBackOutcome {
  commandId: string;
  requestId: string;
  state: CommandState;
  reasonCode?: ReasonCode;
  message?: string;
  target: TargetRef;
  object: Isa95ObjectRef;
  action: WriteBackAction;
  parameter?: string;
  priorValue?: ParameterValue | null;
  newValue?: ParameterValue | null;
  mesTransactionId?: string;
  initiator: 'ai' | 'human';
  lineage: Lineage;
  /** The command this one reverts, when it is a revert. */
  revertOf?: string;
  /** The revert command that wrote this one's prior value back, once one was requested. */
  revertedBy?: string;
  /** Who submitted the command: a user name or `token:<name>`. */
  requestedBy?: string;
  /** Present while and after a command needed a person's signature. */
  approval?: ApprovalInfo;
  timings: CommandTimings;
  /**
   * In the answer to a submit refused by a limit that lifts by itself (RATE_LIMITED, COOLDOWN,
   * OVERRIDE_HOLD): when the same write could be accepted again (ISO 8601). The HTTP answer carries
   * it as `Retry-After` too; a caller backs off until then instead of asking again.
   */
  blockedUntil?: string;
}

/** Why a command waits for a signature, until when, and who signed. */
export interface ApprovalInfo {
  /** Name of the approval rule (site configuration) that matched. */
  rule: string;
  /** Only a user with `writeback:approve-quality` (QA) may sign, e.g. a lot release. */
  requiresQuality: boolean;
  /** ISO 8601; an unsigned command expires then (APPROVAL_EXPIRED). */
  expiresAt: string;
  /** SHA-256 of the pending command's canonical content; the signature is bound to it. */
  recordHash?: string;
  /** How often the same proposal arrived while this one waited (absent: once); a person is asked once. */
  asked?: number;
  /** ISO 8601; when the same proposal last arrived. */
  lastAskedAt?: string;
  signature?: {
    signer: string;
    signerName: string;
    meaning: string;
    signedAt: string;
    recordHash: string;
    comment?: string;
  };
}
