import type { AuditOutcome, ElectronicSignature, ParameterValue, ReasonCode } from '@loopgate/contracts';
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
  const priorValue = details.priorValue !== undefined ? details.priorValue : command.priorValue;
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
    ...(command.parameter !== undefined ? { parameter: command.parameter } : {}),
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
