import type { Isa95ObjectRef, ReasonCode, TargetRef } from './writeback';

/**
 * Refusals of one code on one key, since the key last took a write: one alarm with a count instead
 * of a row per request. It clears when a write to the key is accepted again; the next refusal then
 * opens a new alarm.
 */
export interface RefusalAlarm {
  /** Stable for this key, code and first refusal: what acknowledge and shelve name. */
  id: string;
  orderingKey: string;
  reasonCode: ReasonCode | string;
  target: TargetRef;
  object: Isa95ObjectRef;
  parameter?: string;
  /** Refusals counted in this alarm. */
  count: number;
  firstAt: string;
  lastAt: string;
  /** The newest refusal: its command and what it said. */
  lastCommandId: string;
  message: string;
  /** Set once a person acknowledged it; it keeps counting until the key takes a write. */
  acknowledged?: { by: string; at: string; reason: string };
  /** Hidden from the open list until `until`. */
  shelved?: { by: string; at: string; reason: string; until: string };
}

/** `GET /alarms`: the open refusal alarms, newest last refusal first. */
export interface AlarmList {
  alarms: RefusalAlarm[];
  /** Open alarms that are shelved (listed only with `?shelved=true`). */
  shelvedCount: number;
}

/** `POST /alarms/{id}/acknowledge`. */
export interface AlarmAcknowledgeRequest {
  reason: string;
}

/** `POST /alarms/{id}/shelve`: hidden for `minutes` (at most a shift: 720). */
export interface AlarmShelveRequest {
  reason: string;
  minutes: number;
}
