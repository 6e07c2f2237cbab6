import type {
  ApprovalInfo,
  AuditOutcome,
  AuditRecord,
  CommandState,
  Isa95ObjectRef,
  Lineage,
  ParameterValue,
  ReasonCode,
  TargetKind,
  WriteBackAction,
} from '@loopgate/contracts';
import type { Command } from '../domain/command';
import type { KeyWriteState } from '../domain/override-detection';
import { decodeValue, encodeValue } from '../domain/values';

/* Maps between domain objects and table rows (column name → value). Rows from TypeORM entities use
   the same names in camelCase; both directions go through here so a record reads back exactly as written. */

type Row = Record<string, unknown>;

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const parse = <T>(raw: unknown): T | undefined =>
  raw === null || raw === undefined ? undefined : (JSON.parse(String(raw)) as T);
const opt = <T>(raw: unknown): T | undefined => (raw === null || raw === undefined ? undefined : (raw as T));
/** Reads a column from a raw (snake_case) row or an entity (camelCase). */
const camelNames = new Map<string, string>();
const col = (row: Row, snake: string): unknown => {
  if (snake in row) return row[snake];
  let camel = camelNames.get(snake);
  if (camel === undefined) {
    camel = snake.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    camelNames.set(snake, camel);
  }
  return row[camel];
};

export const COMMAND_COLUMNS = [
  'id',
  'request_id',
  'state',
  'reason_code',
  'message',
  'target_kind',
  'target_instance',
  'object_type',
  'object_id',
  'object_json',
  'action',
  'parameter',
  'value_json',
  'details_json',
  'prior_value_json',
  'new_value_json',
  'ordering_key',
  'reason',
  'not_after',
  'initiator',
  'requested_by',
  'lineage_json',
  'inference_id',
  'revert_of',
  'reverted_by',
  'approval_json',
  'mes_transaction_id',
  'attempts',
  'event_time',
  'received_at',
  'decided_at',
  'applied_at',
  'updated_at',
] as const;

export function commandToRow(c: Command): Row {
  return {
    id: c.id,
    request_id: c.requestId,
    state: c.state,
    reason_code: c.reasonCode ?? null,
    message: c.message ?? null,
    target_kind: c.target.kind,
    target_instance: c.target.instance,
    object_type: c.object.type,
    object_id: c.object.id,
    object_json: JSON.stringify(c.object),
    action: c.action,
    parameter: c.parameter ?? null,
    value_json: encodeValue(c.value),
    details_json: json(c.details),
    prior_value_json: encodeValue(c.priorValue),
    new_value_json: encodeValue(c.newValue),
    ordering_key: c.orderingKey,
    reason: c.reason,
    not_after: c.notAfter,
    initiator: c.initiator,
    requested_by: c.requestedBy,
    lineage_json: JSON.stringify(c.lineage ?? {}),
    inference_id: c.lineage?.inferenceId ?? null,
    revert_of: c.revertOf ?? null,
    reverted_by: c.revertedBy ?? null,
    approval_json: json(c.approval),
    mes_transaction_id: c.mesTransactionId ?? null,
    attempts: c.attempts,
    event_time: c.eventTime ?? null,
    received_at: c.receivedAt,
    decided_at: c.decidedAt ?? null,
    applied_at: c.appliedAt ?? null,
    updated_at: c.updatedAt,
  };
}

/** Optional text fields of a command, read only when non-empty. */
const OPTIONAL_TEXT = [
  ['revertOf', 'revert_of'],
  ['revertedBy', 'reverted_by'],
  ['mesTransactionId', 'mes_transaction_id'],
  ['eventTime', 'event_time'],
  ['decidedAt', 'decided_at'],
  ['appliedAt', 'applied_at'],
] as const;

export function rowToCommand(row: Row): Command {
  const value = decodeValue(opt<string>(col(row, 'value_json')));
  const command: Command = {
    id: String(col(row, 'id')),
    requestId: String(col(row, 'request_id')),
    state: col(row, 'state') as CommandState,
    target: { kind: col(row, 'target_kind') as TargetKind, instance: String(col(row, 'target_instance')) },
    object: JSON.parse(String(col(row, 'object_json'))) as Isa95ObjectRef,
    action: col(row, 'action') as WriteBackAction,
    orderingKey: String(col(row, 'ordering_key')),
    reason: String(col(row, 'reason')),
    notAfter: String(col(row, 'not_after')),
    initiator: col(row, 'initiator') as 'ai' | 'human',
    requestedBy: String(col(row, 'requested_by')),
    lineage: JSON.parse(String(col(row, 'lineage_json'))) as Lineage,
    attempts: Number(col(row, 'attempts')),
    receivedAt: String(col(row, 'received_at')),
    updatedAt: String(col(row, 'updated_at')),
  };
  const reasonCode = opt<ReasonCode>(col(row, 'reason_code'));
  if (reasonCode) command.reasonCode = reasonCode;
  const message = opt<string>(col(row, 'message'));
  if (message !== undefined) command.message = message;
  const parameter = opt<string>(col(row, 'parameter'));
  if (parameter !== undefined) command.parameter = parameter;
  if (value !== undefined && value !== null) command.value = value;
  const details = parse<Record<string, ParameterValue>>(col(row, 'details_json'));
  if (details) command.details = details;
  const prior = decodeValue(opt<string>(col(row, 'prior_value_json')));
  if (prior !== undefined) command.priorValue = prior;
  const next = decodeValue(opt<string>(col(row, 'new_value_json')));
  if (next !== undefined) command.newValue = next;
  const approval = parse<ApprovalInfo>(col(row, 'approval_json'));
  if (approval) command.approval = approval;
  for (const [key, column] of OPTIONAL_TEXT) {
    const text = opt<string>(col(row, column));
    if (text) command[key] = text;
  }
  return command;
}

export const AUDIT_COLUMNS = [
  'sequence',
  'time',
  'command_id',
  'request_id',
  'inference_id',
  'lineage_json',
  'target_kind',
  'target_instance',
  'object_type',
  'object_id',
  'object_json',
  'action',
  'parameter',
  'prior_value_json',
  'new_value_json',
  'outcome',
  'reason_code',
  'message',
  'reason',
  'actor',
  'signature_json',
  'mes_transaction_id',
  'timings_json',
  'previous_hash',
  'hash',
] as const;

export function auditToRow(r: AuditRecord): Row {
  return {
    sequence: r.sequence,
    time: r.time,
    command_id: r.commandId ?? null,
    request_id: r.requestId ?? null,
    inference_id: r.lineage?.inferenceId ?? null,
    lineage_json: JSON.stringify(r.lineage ?? {}),
    target_kind: r.target?.kind ?? null,
    target_instance: r.target?.instance ?? null,
    object_type: r.object?.type ?? null,
    object_id: r.object?.id ?? null,
    object_json: json(r.object),
    action: r.action ?? null,
    parameter: r.parameter ?? null,
    prior_value_json: encodeValue(r.priorValue),
    new_value_json: encodeValue(r.newValue),
    outcome: r.outcome,
    reason_code: r.reasonCode ?? null,
    message: r.message ?? null,
    reason: r.reason ?? null,
    actor: r.actor,
    signature_json: json(r.signature),
    mes_transaction_id: r.mesTransactionId ?? null,
    timings_json: json(r.timings),
    previous_hash: r.previousHash,
    hash: r.hash,
  };
}

export function rowToAudit(row: Row): AuditRecord {
  const record: AuditRecord = {
    sequence: Number(col(row, 'sequence')),
    time: String(col(row, 'time')),
    lineage: JSON.parse(String(col(row, 'lineage_json'))) as Lineage,
    outcome: col(row, 'outcome') as AuditOutcome,
    actor: String(col(row, 'actor')),
    previousHash: String(col(row, 'previous_hash')),
    hash: String(col(row, 'hash')),
  };
  const commandId = opt<string>(col(row, 'command_id'));
  if (commandId !== undefined) record.commandId = commandId;
  const requestId = opt<string>(col(row, 'request_id'));
  if (requestId !== undefined) record.requestId = requestId;
  const kind = opt<TargetKind>(col(row, 'target_kind'));
  const instance = opt<string>(col(row, 'target_instance'));
  if (kind !== undefined && instance !== undefined) record.target = { kind, instance };
  const object = parse<Isa95ObjectRef>(col(row, 'object_json'));
  if (object) record.object = object;
  const action = opt<string>(col(row, 'action'));
  if (action !== undefined) record.action = action;
  const parameter = opt<string>(col(row, 'parameter'));
  if (parameter !== undefined) record.parameter = parameter;
  const prior = decodeValue(opt<string>(col(row, 'prior_value_json')));
  if (prior !== undefined) record.priorValue = prior;
  const next = decodeValue(opt<string>(col(row, 'new_value_json')));
  if (next !== undefined) record.newValue = next;
  const reasonCode = opt<string>(col(row, 'reason_code'));
  if (reasonCode !== undefined) record.reasonCode = reasonCode;
  const message = opt<string>(col(row, 'message'));
  if (message !== undefined) record.message = message;
  const reason = opt<string>(col(row, 'reason'));
  if (reason !== undefined) record.reason = reason;
  const signature = parse<AuditRecord['signature']>(col(row, 'signature_json'));
  if (signature) record.signature = signature;
  const mes = opt<string>(col(row, 'mes_transaction_id'));
  if (mes !== undefined) record.mesTransactionId = mes;
  const timings = parse<AuditRecord['timings']>(col(row, 'timings_json'));
  if (timings) record.timings = timings;
  return record;
}

/** The record exactly as it will read back from the table, so its hash verifies later. */
export function normalizeAudit(record: AuditRecord): AuditRecord {
  return rowToAudit(auditToRow(record));
}

export function keyStateToRow(s: KeyWriteState): Row {
  return {
    ordering_key: s.key,
    value_json: encodeValue(s.value),
    command_id: s.commandId,
    written_at: s.writtenAt,
    overridden_with_json: encodeValue(s.overriddenWith),
    hold_until: s.holdUntil ?? null,
  };
}

export function rowToKeyState(row: Row): KeyWriteState {
  const state: KeyWriteState = {
    key: String(col(row, 'ordering_key')),
    value: decodeValue(opt<string>(col(row, 'value_json'))) ?? null,
    commandId: String(col(row, 'command_id')),
    writtenAt: String(col(row, 'written_at')),
  };
  const overridden = decodeValue(opt<string>(col(row, 'overridden_with_json')));
  if (overridden !== undefined) state.overriddenWith = overridden;
  const hold = opt<string>(col(row, 'hold_until'));
  if (hold) state.holdUntil = hold;
  return state;
}
