import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { AuditRecord, AuditVerification } from '@loopgate/contracts';
import type { AuditEntry, AuditWriter } from '../../common/audit.port';
import { ChainVerifier } from '../domain/audit-chain';
import type { GatewayStore } from '../engine/ports';
import { AuditRepository, type AuditFilter } from '../persistence/audit.repository';
import { GATEWAY_STORE } from './tokens';

/** The AUDIT_WRITER port: appends go through the gateway's group-committing store and its chain lock. */
@Injectable()
export class AuditWriterService implements AuditWriter {
  constructor(@Inject(GATEWAY_STORE) private readonly store: GatewayStore) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const { audit } = await this.store.commit([{ kind: 'audit', entry }]);
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

/** RFC 4180 field: quoted when it holds a comma, quote or line break. */
function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(record: AuditRecord): string {
  return `${CSV_COLUMNS.map(([, get]) => csvField(get(record))).join(',')}\r\n`;
}

export const CSV_HEADER = `${CSV_COLUMNS.map(([name]) => name).join(',')}\r\n`;

/** Audit search, chain verification and streamed export. */
@Injectable()
export class AuditService {
  constructor(private readonly repository: AuditRepository) {}

  page(filter: AuditFilter, limit: number, before?: number) {
    return this.repository.page(filter, limit, before);
  }

  /**
   * Recomputes every hash from the first record up to the chain head read at the start, and
   * names the first record that does not verify; a truncated tail shows as a gap at the head.
   */
  async verify(): Promise<AuditVerification> {
    const head = await this.repository.chainHead();
    const verifier = new ChainVerifier();
    let last = { sequence: 0, hash: '' };
    for await (const page of this.repository.ascending()) {
      for (const record of page) {
        if (record.sequence > head.sequence) return this.atHead(verifier, last, head);
        if (!verifier.next(record)) return verifier.result();
        last = record;
      }
    }
    return this.atHead(verifier, last, head);
  }

  private atHead(
    verifier: ChainVerifier,
    last: { sequence: number; hash: string },
    head: { sequence: number; hash: string },
  ): AuditVerification {
    const result = verifier.result();
    if (result.ok && (last.sequence !== head.sequence || (head.sequence > 0 && last.hash !== head.hash))) {
      return {
        ok: false,
        checked: result.checked,
        firstBroken: { sequence: last.sequence + 1, reason: 'sequence-gap' },
      };
    }
    return result;
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

/** Writes and waits for drain when the socket buffer is full; false when the client went away. */
async function write(out: Writable, chunk: string): Promise<boolean> {
  if (out.destroyed) return false;
  if (!out.write(chunk)) {
    await Promise.race([once(out, 'drain'), once(out, 'close')]);
  }
  return !out.destroyed;
}
