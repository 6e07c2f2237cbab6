import type { AuditRecord } from '@loopgate/contracts';
import type { AuditEntry, AuditWriter, RowChange } from '../../common/audit.port';

/** An AuditWriter that keeps entries in memory, for tests of code that audits. */
export class RecordingAuditWriter implements AuditWriter {
  readonly entries: AuditEntry[] = [];

  async append(entry: AuditEntry): Promise<AuditRecord> {
    this.entries.push(entry);
    const sequence = this.entries.length;
    return {
      ...entry,
      lineage: entry.lineage ?? {},
      sequence,
      time: new Date().toISOString(),
      previousHash: '',
      hash: String(sequence),
    };
  }

  /** Keeps the entry; the row change is recorded, not applied (there are no tables here). */
  async appendWith(entry: AuditEntry, change: RowChange): Promise<AuditRecord> {
    this.rowChanges.push(change);
    return this.append(entry);
  }

  readonly rowChanges: RowChange[] = [];

  actions(): string[] {
    return this.entries.map((entry) => String(entry.action));
  }
}
