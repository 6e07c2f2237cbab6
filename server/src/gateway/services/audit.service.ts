import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { AuditFinding, AuditRecord, AuditVerification } from '@loopgate/contracts';
import type { AuditEntry, AuditWriter, RowChange } from '../../common/audit.port';
import { AuditTrailCheck } from '../domain/audit-chain';
import type { GatewayStore } from '../engine/ports';
import { AuditRepository, type AuditFilter } from '../persistence/audit.repository';
import { AuditAnchor } from './audit-anchor.service';
import { GATEWAY_STORE } from './tokens';
import { stringify } from 'csv-stringify/sync';

/** The AUDIT_WRITER port: appends go through the gateway's group-committing store and its chain lock. */
@Injectable()
export class AuditWriterService implements AuditWriter {
  constructor(@Inject(GATEWAY_STORE) private readonly store: GatewayStore) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const { audit } = await this.store.commit([{ kind: 'audit', entry }]);
    return audit[0];
  }

  async appendWith(entry: AuditEntry, change: RowChange): Promise<AuditRecord> {
    const { audit } = await this.store.commit([
      { kind: 'rows', change },
      { kind: 'audit', entry },
    ]);
    return audit[0];
  }
}

const CSV_COLUMNS: [string, (r: AuditRecord) => unknown][] = [
  ['sequence', (r) => r.sequence],
  ['time', (r) => r.time],
  ['commandId', (r) => r.commandId],
  ['requestId', (r) => r.requestId],
  ['inferenceId', (r) => r.lineage.inferenceId],
  ['modelId', (r) => r.lineage.modelId],
  ['modelVersion', (r) => r.lineage.modelVersion],
  ['score', (r) => r.lineage.score],
  ['ruleSetId', (r) => r.lineage.ruleSetId],
  ['ruleSetVersion', (r) => r.lineage.ruleSetVersion],
  ['ruleName', (r) => r.lineage.ruleName],
  ['flowId', (r) => r.lineage.flowId],
  ['flowVersion', (r) => r.lineage.flowVersion],
  ['nodeId', (r) => r.lineage.nodeId],
  ['targetKind', (r) => r.target?.kind],
  ['targetInstance', (r) => r.target?.instance],
  ['objectType', (r) => r.object?.type],
  ['objectId', (r) => r.object?.id],
  ['action', (r) => r.action],
  ['parameter', (r) => r.parameter],
  ['priorValue', (r) => (r.priorValue === undefined ? undefined : JSON.stringify(r.priorValue))],
  ['newValue', (r) => (r.newValue === undefined ? undefined : JSON.stringify(r.newValue))],
  ['outcome', (r) => r.outcome],
  ['reasonCode', (r) => r.reasonCode],
  ['message', (r) => r.message],
  ['reason', (r) => r.reason],
  ['actor', (r) => r.actor],
  ['signer', (r) => r.signature?.signer],
  ['signerName', (r) => r.signature?.signerName],
  ['signatureMeaning', (r) => r.signature?.meaning],
  ['signedAt', (r) => r.signature?.signedAt],
  ['signatureRecordHash', (r) => r.signature?.recordHash],
  ['mesTransactionId', (r) => r.mesTransactionId],
  ['receivedAt', (r) => r.timings?.receivedAt],
  ['decidedAt', (r) => r.timings?.decidedAt],
  ['appliedAt', (r) => r.timings?.appliedAt],
  ['previousHash', (r) => r.previousHash],
  ['hash', (r) => r.hash],
];

/**
 * RFC 4180 lines (csv-stringify): quoted where a field holds a comma, quote or line break, and a
 * field starting with `=`, `+`, `-`, `@`, tab or CR prefixed with `'` so a spreadsheet shows it as
 * text instead of running it as a formula (reasons and messages come from flows and people). The
 * NDJSON export keeps every value exactly.
 */
const CSV_OPTIONS = { escape_formulas: true, record_delimiter: 'windows' } as const;

export function csvLine(record: AuditRecord): string {
  return stringify([CSV_COLUMNS.map(([, get]) => get(record) ?? '')], CSV_OPTIONS);
}

export const CSV_HEADER = stringify([CSV_COLUMNS.map(([name]) => name)], CSV_OPTIONS);

/** Audit search, chain verification and streamed export. */
@Injectable()
export class AuditService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly anchor: AuditAnchor,
  ) {}

  page(filter: AuditFilter, limit: number, before?: number) {
    return this.repository.page(filter, limit, before);
  }

  /**
   * Recomputes every hash up to the chain head read at the start, checks the records against the
   * signed checkpoints outside the database, and names every tampering: edited, deleted, swapped,
   * re-sealed, truncated, forged checkpoints.
   */
  async verify(): Promise<AuditVerification> {
    const { valid, forged } = this.anchor.checkpoints();
    const head = await this.repository.chainHead();
    const check = new AuditTrailCheck(valid, head);
    for await (const page of this.repository.ascending()) {
      for (const record of page) {
        if (record.sequence > head.sequence) return withForged(check.result(), forged);
        check.next(record);
      }
    }
    return withForged(check.result(), forged);
  }

  /** Streams matching records oldest first as CSV or NDJSON, honouring backpressure. */
  async export(out: Writable, format: 'csv' | 'ndjson', filter: AuditFilter): Promise<void> {
    if (format === 'csv' && !(await write(out, CSV_HEADER))) return;
    for await (const page of this.repository.ascending(filter, 500)) {
      const chunk = page.map((record) => (format === 'csv' ? csvLine(record) : `${JSON.stringify(record)}\n`)).join('');
      if (!(await write(out, chunk))) return;
    }
  }
}

function withForged(result: AuditVerification, forged: AuditFinding[]): AuditVerification {
  if (forged.length === 0) return result;
  const findings = [...forged, ...(result.findings ?? [])];
  return {
    ...result,
    ok: false,
    findings,
    firstBroken: result.firstBroken ?? { sequence: forged[0].sequence, reason: 'checkpoint-forged' },
  };
}

/** Writes and waits for drain when the socket buffer is full; false when the client went away. */
async function write(out: Writable, chunk: string): Promise<boolean> {
  if (out.destroyed) return false;
  if (!out.write(chunk)) {
    await Promise.race([once(out, 'drain'), once(out, 'close')]);
  }
  return !out.destroyed;
}
