import type { Isa95ObjectRef, RefusalAlarm, TargetRef } from '@loopgate/contracts';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Dialect } from './sql';

/** How far back refusals are read; an alarm with no refusal for this long is no longer listed. */
export const ALARM_HORIZON_MS = 24 * 3600_000;
/** The most alarms one read returns. */
export const ALARM_LIMIT = 200;

/** Commands that ended refused: by a guardrail at submit or dispatch, or stale. */
const REFUSED_STATES = ['rejected', 'expired'];
/** A person's "no" is a decision, not an alarm. */
const NOT_ALARMS = ['APPROVAL_REJECTED'];
/** States of a command the key did not take: anything else accepted after a refusal clears the alarm. */
const NOT_TAKEN = ['rejected', 'expired', 'pending-approval'];

export type AlarmNoteKind = 'acknowledge' | 'shelve';

export interface AlarmNote {
  alarmId: string;
  kind: AlarmNoteKind;
  orderingKey: string;
  reasonCode: string;
  actor: string;
  reason: string;
  at: string;
  until?: string;
}

interface GroupRow {
  ordering_key: string;
  reason_code: string;
  n: number | string;
  first_at: string;
  last_at: string;
}

interface LastRow {
  id: string;
  message: string | null;
  target_kind: string;
  target_instance: string;
  object_type: string;
  object_id: string;
  parameter: string | null;
}

/** The stable id of the alarm of `code` on `key` that began with the refusal at `firstAt`. */
export function alarmId(orderingKey: string, reasonCode: string, firstAt: string): string {
  return createHash('sha256').update(`${orderingKey}\u0000${reasonCode}\u0000${firstAt}`).digest('hex').slice(0, 32);
}

/**
 * Refusal alarms read from the stored commands: the refusals of one code on one key since the key
 * last accepted a write, grouped in the database (count, first and last time), with what people
 * noted about them. Nothing is kept in memory; every gateway process reads the same answer.
 */
@Injectable()
export class AlarmRepository {
  private readonly dialect: Dialect;

  constructor(private readonly dataSource: DataSource) {
    this.dialect = dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** Open alarms at `now`, newest last refusal first, with their notes. */
  async open(now: number): Promise<RefusalAlarm[]> {
    const params: unknown[] = [];
    const mark = (value: unknown) => {
      params.push(value);
      return this.dialect === 'postgres' ? `$${params.length}` : '?';
    };
    // Marks in the order they appear in the text: SQLite's `?` are positional.
    const refused = REFUSED_STATES.map(mark).join(',');
    const since = mark(new Date(now - ALARM_HORIZON_MS).toISOString());
    const excluded = NOT_ALARMS.map(mark).join(',');
    const notTaken = NOT_TAKEN.map(mark).join(',');
    const groups = (await this.dataSource.query(
      `SELECT r."ordering_key", r."reason_code", COUNT(*) AS n,
              MIN(r."updated_at") AS first_at, MAX(r."updated_at") AS last_at
         FROM "writeback_commands" r
        WHERE r."state" IN (${refused}) AND r."updated_at" >= ${since}
          AND r."reason_code" IS NOT NULL AND r."reason_code" NOT IN (${excluded})
          AND NOT EXISTS (
            SELECT 1 FROM "writeback_commands" a
             WHERE a."ordering_key" = r."ordering_key" AND a."decided_at" > r."updated_at"
               AND a."state" NOT IN (${notTaken}))
        GROUP BY r."ordering_key", r."reason_code"
        ORDER BY last_at DESC
        LIMIT ${ALARM_LIMIT}`,
      params,
    )) as GroupRow[];
    if (groups.length === 0) return [];
    const alarms = await Promise.all(groups.map((group) => this.alarmOf(group)));
    const notes = await this.notes(alarms.map((a) => a.id));
    return alarms.map((alarm) => withNotes(alarm, notes.get(alarm.id) ?? [], now));
  }

  /** Stores a person's note on an alarm; a later note of the same kind replaces the earlier one. */
  async note(note: AlarmNote): Promise<void> {
    const row = {
      alarm_id: note.alarmId,
      kind: note.kind,
      ordering_key: note.orderingKey,
      reason_code: note.reasonCode,
      actor: note.actor,
      reason: note.reason,
      at: note.at,
      until: note.until ?? null,
    };
    const columns = Object.keys(row);
    const marks = columns.map((_c, i) => (this.dialect === 'postgres' ? `$${i + 1}` : '?')).join(',');
    const updates = ['actor', 'reason', 'at', 'until'].map((c) => `"${c}" = excluded."${c}"`).join(', ');
    await this.dataSource.query(
      `INSERT INTO "writeback_alarm_notes" (${columns.map((c) => `"${c}"`).join(',')}) VALUES (${marks})
       ON CONFLICT ("alarm_id", "kind") DO UPDATE SET ${updates}`,
      Object.values(row),
    );
  }

  private async alarmOf(group: GroupRow): Promise<RefusalAlarm> {
    const p = (i: number) => (this.dialect === 'postgres' ? `$${i}` : '?');
    const [last] = (await this.dataSource.query(
      `SELECT "id", "message", "target_kind", "target_instance", "object_type", "object_id", "parameter"
         FROM "writeback_commands"
        WHERE "ordering_key" = ${p(1)} AND "reason_code" = ${p(2)} AND "updated_at" = ${p(3)}
        ORDER BY "id" DESC LIMIT 1`,
      [group.ordering_key, group.reason_code, group.last_at],
    )) as LastRow[];
    return {
      id: alarmId(group.ordering_key, group.reason_code, group.first_at),
      orderingKey: group.ordering_key,
      reasonCode: group.reason_code,
      target: { kind: last.target_kind, instance: last.target_instance } as TargetRef,
      object: { type: last.object_type, id: last.object_id } as Isa95ObjectRef,
      ...(last.parameter ? { parameter: last.parameter } : {}),
      count: Number(group.n),
      firstAt: group.first_at,
      lastAt: group.last_at,
      lastCommandId: last.id,
      message: last.message ?? group.reason_code,
    };
  }

  private async notes(ids: string[]): Promise<Map<string, AlarmNote[]>> {
    const marks = ids.map((_id, i) => (this.dialect === 'postgres' ? `$${i + 1}` : '?')).join(',');
    const rows = (await this.dataSource.query(
      `SELECT * FROM "writeback_alarm_notes" WHERE "alarm_id" IN (${marks})`,
      ids,
    )) as Record<string, string | null>[];
    const byAlarm = new Map<string, AlarmNote[]>();
    for (const row of rows) {
      const note: AlarmNote = {
        alarmId: row.alarm_id!,
        kind: row.kind as AlarmNoteKind,
        orderingKey: row.ordering_key!,
        reasonCode: row.reason_code!,
        actor: row.actor!,
        reason: row.reason!,
        at: row.at!,
        ...(row.until ? { until: row.until } : {}),
      };
      byAlarm.set(note.alarmId, [...(byAlarm.get(note.alarmId) ?? []), note]);
    }
    return byAlarm;
  }
}

function withNotes(alarm: RefusalAlarm, notes: AlarmNote[], now: number): RefusalAlarm {
  const ack = notes.find((n) => n.kind === 'acknowledge');
  const shelf = notes.find((n) => n.kind === 'shelve' && n.until !== undefined && Date.parse(n.until) > now);
  return {
    ...alarm,
    ...(ack ? { acknowledged: { by: ack.actor, at: ack.at, reason: ack.reason } } : {}),
    ...(shelf ? { shelved: { by: shelf.actor, at: shelf.at, reason: shelf.reason, until: shelf.until! } } : {}),
  };
}
