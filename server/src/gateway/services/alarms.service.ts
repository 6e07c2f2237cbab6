import type { AlarmList, RefusalAlarm } from '@loopgate/contracts';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { AUDIT_WRITER, type AuditWriter } from '../../common/audit.port';
import { CLOCK, SYSTEM_CLOCK, type Clock } from '../../common/clock';
import { UserError } from '../../common/errors';
import { AlarmRepository, type AlarmNoteKind } from '../persistence/alarm.repository';

/** The longest an alarm can be shelved: one shift. */
export const MAX_SHELVE_MINUTES = 720;

/**
 * Refusal alarms: what the operator sees instead of a row per refused request. Acknowledging or
 * shelving one is a person's act, recorded in the audit trail with their reason.
 */
@Injectable()
export class AlarmsService {
  private readonly clock: Clock;

  constructor(
    private readonly alarms: AlarmRepository,
    @Inject(AUDIT_WRITER) private readonly audit: AuditWriter,
    @Optional() @Inject(CLOCK) clock?: Clock,
  ) {
    this.clock = clock ?? SYSTEM_CLOCK;
  }

  async list(includeShelved = false): Promise<AlarmList> {
    const open = await this.alarms.open(this.clock.now());
    const shelvedCount = open.filter((a) => a.shelved).length;
    return { alarms: includeShelved ? open : open.filter((a) => !a.shelved), shelvedCount };
  }

  /** Acknowledged: seen by a person; it stays open and keeps counting until the key takes a write. */
  acknowledge(id: string, reason: string, principal: Principal | undefined): Promise<RefusalAlarm> {
    return this.note(id, 'acknowledge', reason, principal);
  }

  /** Shelved: out of the open list for `minutes`, then back if still open. */
  shelve(id: string, reason: string, minutes: number, principal: Principal | undefined): Promise<RefusalAlarm> {
    if (!(minutes > 0 && minutes <= MAX_SHELVE_MINUTES))
      throw new UserError('SHELVE_TOO_LONG', `an alarm is shelved for 1 to ${MAX_SHELVE_MINUTES} minutes`, 400);
    return this.note(id, 'shelve', reason, principal, minutes);
  }

  private async note(
    id: string,
    kind: AlarmNoteKind,
    reason: string,
    principal: Principal | undefined,
    minutes?: number,
  ): Promise<RefusalAlarm> {
    const actor = principal?.id ?? 'unknown';
    const now = this.clock.now();
    const alarm = (await this.alarms.open(now)).find((a) => a.id === id);
    if (!alarm) throw new UserError('ALARM_NOT_FOUND', `no open alarm ${id}: it cleared or never was`, 404);
    const at = new Date(now).toISOString();
    const until = minutes === undefined ? undefined : new Date(now + minutes * 60_000).toISOString();
    await this.alarms.note({
      alarmId: id,
      kind,
      orderingKey: alarm.orderingKey,
      reasonCode: alarm.reasonCode,
      actor,
      reason,
      at,
      ...(until ? { until } : {}),
    });
    await this.audit.append({
      outcome: 'alarm',
      actor,
      reasonCode: kind === 'acknowledge' ? 'ALARM_ACKNOWLEDGED' : 'ALARM_SHELVED',
      target: alarm.target,
      object: alarm.object,
      ...(alarm.parameter ? { parameter: alarm.parameter } : {}),
      reason,
      message:
        `${alarm.reasonCode} alarm on ${alarm.orderingKey} (${alarm.count} refusals since ${alarm.firstAt}) ` +
        `${kind === 'acknowledge' ? 'acknowledged' : `shelved until ${until}`}: ${reason}`,
    });
    return kind === 'acknowledge'
      ? { ...alarm, acknowledged: { by: actor, at, reason } }
      : { ...alarm, shelved: { by: actor, at, reason, until: until! } };
  }
}
