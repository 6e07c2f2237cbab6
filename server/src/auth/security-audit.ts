import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_WRITER, type AuditEntry, type AuditWriter } from '../common/audit.port';

/** What a security event is about, beyond its kind: who did it and a one-line account. */
interface SecurityEvent {
  action: string;
  actor: string;
  message: string;
  reasonCode?: string;
}

/** Token use is audited once per token per hour, not on every request. */
const TOKEN_USE_AUDIT_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Writes logins, failed logins, lockouts, user and role changes and token use to the
 * hash-chained audit trail, as records with outcome `security`.
 */
@Injectable()
export class SecurityAudit {
  private readonly tokenUseAuditedAt = new Map<string, number>();

  constructor(@Inject(AUDIT_WRITER) private readonly writer: AuditWriter) {}

  async record(event: SecurityEvent): Promise<void> {
    const entry: AuditEntry = { outcome: 'security', ...event };
    await this.writer.append(entry);
  }

  /** Audits the first use of a service token in each hour; true when it wrote a record. */
  async tokenUsed(tokenId: string, tokenName: string, now = Date.now()): Promise<boolean> {
    const last = this.tokenUseAuditedAt.get(tokenId);
    if (last !== undefined && now - last < TOKEN_USE_AUDIT_INTERVAL_MS) return false;
    this.tokenUseAuditedAt.set(tokenId, now);
    await this.record({
      action: 'token-used',
      actor: `token:${tokenName}`,
      message: `service token ${tokenName} used`,
    });
    return true;
  }
}
