import {
  CHANGED_BY_ACTION,
  CREATING_ACTIONS,
  type AuditOutcome,
  type ElectronicSignature,
  type ParameterValue,
  type ReasonCode,
} from '@loopgate/contracts';
import type { AuditEntry } from '../../common/audit.port';
import type { Command } from '../domain/command';

export interface AuditDetails {
  reasonCode?: ReasonCode;
  message?: string;
  /** Who acted: the requester, the signer, or `gateway` for what the dispatcher decided. */
  actor?: string;
  signature?: ElectronicSignature;
  priorValue?: ParameterValue | null;
  newValue?: ParameterValue | null;
}

/** The audit entry for something that happened to `command`; values default to the command's own. */
export function auditEntryFor(command: Command, outcome: AuditOutcome, details: AuditDetails = {}): AuditEntry {
  const recorded = details.priorValue !== undefined ? details.priorValue : command.priorValue;
  // A record that is created had nothing before it: that is known, and recorded as null once it exists.
  const created = CREATING_ACTIONS.includes(command.action) && (outcome === 'applied' || outcome === 'reverted');
  const priorValue = recorded === undefined && created ? null : recorded;
  const parameter =
    command.parameter ?? (command.action === 'set-parameter' ? undefined : CHANGED_BY_ACTION[command.action]);
  const newValue =
    details.newValue !== undefined
      ? details.newValue
      : command.newValue !== undefined
        ? command.newValue
        : command.value;
  const reasonCode = details.reasonCode ?? command.reasonCode;
  const message = details.message ?? command.message;
  return {
    commandId: command.id,
    requestId: command.requestId,
    lineage: command.lineage,
    target: command.target,
    object: command.object,
    action: command.action,
    ...(parameter !== undefined ? { parameter } : {}),
    ...(priorValue !== undefined ? { priorValue } : {}),
    ...(newValue !== undefined ? { newValue } : {}),
    outcome,
    ...(reasonCode ? { reasonCode } : {}),
    ...(message ? { message } : {}),
    // What the requester typed (for a revert, the person's reason), on every record of the command.
    ...(command.reason ? { reason: command.reason } : {}),
    actor: details.actor ?? 'gateway',
    ...(details.signature ? { signature: details.signature } : {}),
    ...(command.mesTransactionId ? { mesTransactionId: command.mesTransactionId } : {}),
    timings: {
      receivedAt: command.receivedAt,
      ...(command.decidedAt ? { decidedAt: command.decidedAt } : {}),
      ...(command.appliedAt ? { appliedAt: command.appliedAt } : {}),
    },
  };
}
