import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { AuditCheckpoint, AuditOutcome, AuditRecord, MesEventLogStatus } from '@loopgate/contracts';
import { Counter, Gauge, Registry } from 'prom-client';
import { DataSource, type Repository } from 'typeorm';
import { CLOCK, SYSTEM_CLOCK, type Clock } from '../../common/clock';
import { DEFAULT_EVENT_LOG_OUTCOMES, LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import { TargetError, type MesLogEvent, type TargetAdapter } from '../../targets/adapter';
import { GATEWAY_PROCESS_ID } from '../../targets/process-identity';
import type { TargetRuntime } from '../engine/ports';
import { AuditRepository } from '../persistence/audit.repository';
import { MesEventLogCursorEntity } from '../persistence/entities';
import { AuditAnchor } from './audit-anchor.service';
import { TARGET_RUNTIMES } from './tokens';

/** Timings of the mirror; tests shorten them. */
export interface MesEventMirrorOptions {
  /** How often each target's log is looked at (default 500 ms). */
  intervalMs: number;
  /** Wait after the first failure; doubles per failure up to `maxDelayMs` (defaults 500 ms, 60 s). */
  initialDelayMs: number;
  maxDelayMs: number;
  /** How long one process holds a target's log before another may take it over (default 15 s). */
  leaseMs: number;
  /** Records read per round (default 100). */
  batch: number;
  /** Who holds a lease: this gateway process (tests running two gateways in one process name each). */
  owner: string;
}

export const MES_EVENT_MIRROR_OPTIONS = Symbol('MES_EVENT_MIRROR_OPTIONS');

const DEFAULTS: MesEventMirrorOptions = {
  intervalMs: 500,
  initialDelayMs: 500,
  maxDelayMs: 60_000,
  leaseMs: 15_000,
  batch: 100,
  owner: GATEWAY_PROCESS_ID,
};

type EventLogAdapter = TargetAdapter & Required<Pick<TargetAdapter, 'logEvent'>>;

interface Lane {
  instance: string;
  adapter: EventLogAdapter;
  outcomes: readonly AuditOutcome[];
  checkpoints: boolean;
  failures: number;
  nextAttemptAt: number;
  lastError?: { code: string; message: string; at: string };
  lastSentAt?: string;
  /** Time of the oldest record not yet in the log, as of this process's last round (undefined: caught up). */
  oldestPending?: string;
  running?: Promise<void>;
}

const shorten = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const shown = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));

/** One line for a person reading the MES's log, e.g. `applied: set-parameter FeedRate of CNC-01/OP20 1200 → 1140 by token:line1`. */
export function eventSummary(record: AuditRecord): string {
  const what = [record.action, record.parameter, record.object ? `of ${record.object.id}` : undefined]
    .filter(Boolean)
    .join(' ');
  const change =
    record.priorValue !== undefined || record.newValue !== undefined
      ? ` ${shown(record.priorValue)} → ${shown(record.newValue)}`.replace(/ {2}/g, ' ')
      : '';
  const code = record.reasonCode ? ` (${record.reasonCode})` : '';
  return shorten(`${record.outcome}: ${what}${change}${code} by ${record.actor}`, 200);
}

/** The event an audit record becomes: its id names the record and its hash, so two sites never share one. */
export function eventOfRecord(record: AuditRecord): MesLogEvent {
  return {
    id: `loopgate-${record.sequence}-${record.hash.slice(0, 16)}`,
    type: `loopgate.writeback.${record.outcome}`,
    time: record.time,
    summary: eventSummary(record),
    data: { ...record },
  };
}

export function eventOfCheckpoint(checkpoint: AuditCheckpoint): MesLogEvent {
  return {
    id: `loopgate-checkpoint-${checkpoint.keyId}-${checkpoint.sequence}`,
    type: 'loopgate.audit.checkpoint',
    time: checkpoint.time,
    summary: `signed audit checkpoint: records 1…${checkpoint.sequence}, head ${checkpoint.hash.slice(0, 16)}…`,
    data: { ...checkpoint },
  };
}

/**
 * The seed's MES event-log step: every write-back outcome in the audit trail (accepted, pending,
 * approved, rejected, applied, failed, expired, overridden, reverted, shadow) goes to the event log
 * of its target's MES, and every signed audit checkpoint with it.
 *
 * The events are read from the audit trail after it was written, so a write never waits for them
 * and an event-log outage delays only the mirror. Per target, events leave in audit order, one at a
 * time; a failure is retried (backoff doubling to a minute) until the log takes it, and the next
 * event waits. How far each log has been fed is stored (`mes_event_log_cursors`), with a lease so
 * one gateway process feeds a target at a time; a restart or a takeover resumes where the store
 * says. An event sent twice (a crash between the MES's answer and the stored cursor) carries the
 * same id, and the MES keeps one.
 */
@Injectable()
export class MesEventMirror implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MesEventMirror');
  private readonly lanes: Lane[];
  private readonly cursors: Repository<MesEventLogCursorEntity>;
  private readonly options: MesEventMirrorOptions;
  private readonly sent: Counter<'target'>;
  private readonly failed: Counter<'target' | 'code'>;
  private latestCheckpoint: AuditCheckpoint | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    dataSource: DataSource,
    private readonly audit: AuditRepository,
    private readonly anchor: AuditAnchor,
    @Inject(TARGET_RUNTIMES) runtimes: TargetRuntime[],
    @Inject(LOOPGATE_CONFIG) config: Pick<LoopgateConfig, 'site'>,
    @Optional() registry?: Registry,
    @Optional() @Inject(MES_EVENT_MIRROR_OPTIONS) options?: Partial<MesEventMirrorOptions>,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = SYSTEM_CLOCK,
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.cursors = dataSource.getRepository(MesEventLogCursorEntity);
    this.lanes = lanesOf(runtimes, config.site.targets);
    const registers = registry ? [registry] : [];
    this.sent = new Counter({
      name: 'loopgate_mes_event_log_events_total',
      help: "Audit records and checkpoints the MES's event log took, per target instance",
      labelNames: ['target'],
      registers,
    });
    this.failed = new Counter({
      name: 'loopgate_mes_event_log_failures_total',
      help: "Attempts to post to the MES's event log that failed (retried), per target and code",
      labelNames: ['target', 'code'],
      registers,
    });
    const lanes = this.lanes;
    const now = () => this.clock.now();
    new Gauge({
      name: 'loopgate_mes_event_log_lag_seconds',
      help: "Age of the oldest audit record not yet in the target's MES event log (0: caught up), as this process last saw it",
      labelNames: ['target'],
      registers,
      collect() {
        this.reset();
        for (const lane of lanes) {
          const age = lane.oldestPending ? Math.max(0, (now() - Date.parse(lane.oldestPending)) / 1000) : 0;
          this.set({ target: lane.instance }, age);
        }
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.lanes.length === 0) return;
    const head = await this.audit.chainHead();
    const at = new Date(this.clock.now()).toISOString();
    for (const lane of this.lanes) {
      // A target's log starts with what happens from now on; its history stays in the audit export.
      await this.cursors
        .createQueryBuilder()
        .insert()
        .values({
          targetInstance: lane.instance,
          sequence: head.sequence,
          checkpointSequence: 0,
          leaseOwner: null,
          leaseUntil: null,
          updatedAt: at,
        })
        .orIgnore()
        .execute();
    }
    this.latestCheckpoint = latest(this.anchor.checkpoints().valid);
    this.anchor.onCheckpoint((checkpoint) => {
      if (!this.latestCheckpoint || checkpoint.sequence > this.latestCheckpoint.sequence) {
        this.latestCheckpoint = checkpoint;
      }
    });
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.lanes.map((lane) => lane.running));
    // Another process may take the logs over at once.
    await Promise.all(
      this.lanes.map((lane) =>
        this.cursors
          .update(
            { targetInstance: lane.instance, leaseOwner: this.options.owner },
            { leaseOwner: null, leaseUntil: null },
          )
          .catch(() => undefined),
      ),
    );
  }

  /** Starts a round for every target whose log is due; a target already in a round is left alone. */
  tick(): void {
    if (this.stopping) return;
    for (const lane of this.lanes) {
      if (lane.running || this.clock.now() < lane.nextAttemptAt) continue;
      lane.running = this.round(lane).finally(() => (lane.running = undefined));
    }
  }

  /** Rounds until every target's log is fed up to the audit trail's end (for tests and the CLI). */
  async drain(): Promise<void> {
    for (const lane of this.lanes) {
      await lane.running;
      lane.running = this.round(lane).finally(() => (lane.running = undefined));
      await lane.running;
    }
  }

  /** Where each target's event log stands, for `GET /targets`. */
  async status(): Promise<Map<string, MesEventLogStatus>> {
    const rows = await this.cursors.find();
    const byInstance = new Map(rows.map((row) => [row.targetInstance, row]));
    const out = new Map<string, MesEventLogStatus>();
    for (const lane of this.lanes) {
      const row = byInstance.get(lane.instance);
      const through = row?.sequence ?? 0;
      const owner = row?.leaseOwner && (row.leaseUntil ?? '') > this.iso(this.clock.now()) ? row.leaseOwner : undefined;
      out.set(lane.instance, {
        mirroredThrough: through,
        pending: await this.audit.countForTarget(lane.instance, lane.outcomes, through),
        checkpointThrough: row?.checkpointSequence ?? 0,
        ...(lane.lastSentAt ? { lastSentAt: lane.lastSentAt } : {}),
        ...(lane.lastError && lane.failures > 0
          ? { lastError: lane.lastError, nextAttemptAt: new Date(lane.nextAttemptAt).toISOString() }
          : {}),
        ...(owner ? { mirroredBy: owner } : {}),
      });
    }
    return out;
  }

  private async round(lane: Lane): Promise<void> {
    try {
      if (!(await this.lease(lane))) return;
      const cursor = await this.cursors.findOneByOrFail({ targetInstance: lane.instance });
      let through = cursor.sequence;
      const records = await this.audit.forTarget(lane.instance, lane.outcomes, through, this.options.batch);
      lane.oldestPending = records[0]?.time;
      for (const [i, record] of records.entries()) {
        if (this.stopping) return;
        await lane.adapter.logEvent(eventOfRecord(record));
        this.delivered(lane);
        if (!(await this.advance(lane, { sequence: record.sequence }, through))) return;
        through = record.sequence;
        lane.oldestPending = records[i + 1]?.time;
      }
      const checkpoint = this.latestCheckpoint;
      if (lane.checkpoints && checkpoint && checkpoint.sequence > cursor.checkpointSequence && !this.stopping) {
        await lane.adapter.logEvent(eventOfCheckpoint(checkpoint));
        this.delivered(lane);
        await this.advance(lane, { checkpointSequence: checkpoint.sequence });
      }
      if (records.length === this.options.batch) lane.nextAttemptAt = 0;
    } catch (error) {
      this.failure(lane, error);
    }
  }

  /** Takes or renews the target's lease; false while another live process holds it. */
  private async lease(lane: Lane): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.cursors
      .createQueryBuilder()
      .update()
      .set({ leaseOwner: this.options.owner, leaseUntil: this.iso(now + this.options.leaseMs) })
      .where('target_instance = :instance', { instance: lane.instance })
      .andWhere('(lease_owner IS NULL OR lease_owner = :me OR lease_until < :now)', {
        me: this.options.owner,
        now: this.iso(now),
      })
      .execute();
    return result.affected === 1;
  }

  /** Stores progress while this process still holds the lease; false when it lost it (another process feeds the log now). */
  private async advance(
    lane: Lane,
    progress: { sequence: number } | { checkpointSequence: number },
    from?: number,
  ): Promise<boolean> {
    const now = this.clock.now();
    const query = this.cursors
      .createQueryBuilder()
      .update()
      .set({ ...progress, leaseUntil: this.iso(now + this.options.leaseMs), updatedAt: this.iso(now) })
      .where('target_instance = :instance', { instance: lane.instance })
      .andWhere('lease_owner = :me', { me: this.options.owner });
    if (from !== undefined) query.andWhere('sequence = :from', { from });
    const result = await query.execute();
    return result.affected === 1;
  }

  private iso(ms: number): string {
    return new Date(ms).toISOString();
  }

  private delivered(lane: Lane): void {
    this.sent.inc({ target: lane.instance });
    lane.lastSentAt = new Date(this.clock.now()).toISOString();
    lane.failures = 0;
    lane.nextAttemptAt = 0;
  }

  private failure(lane: Lane, error: unknown): void {
    const code = error instanceof TargetError ? error.code : 'STORE';
    const message = (error as Error).message;
    lane.failures += 1;
    const delay = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** (lane.failures - 1));
    lane.nextAttemptAt = this.clock.now() + delay;
    lane.lastError = { code, message, at: new Date(this.clock.now()).toISOString() };
    this.failed.inc({ target: lane.instance, code });
    // The first failure and every tenth after it: an outage of hours does not flood the log.
    if (lane.failures === 1 || lane.failures % 10 === 0) {
      this.logger.warn(
        `event log of ${lane.instance}: ${message} (failure ${lane.failures}, next attempt in ${Math.round(delay / 1000)} s)`,
      );
    }
  }
}

function latest(checkpoints: AuditCheckpoint[]): AuditCheckpoint | undefined {
  return checkpoints.reduce<AuditCheckpoint | undefined>((a, c) => (!a || c.sequence > a.sequence ? c : a), undefined);
}

function lanesOf(runtimes: TargetRuntime[], targets: LoopgateConfig['site']['targets']): Lane[] {
  const lanes: Lane[] = [];
  for (const [index, target] of targets.entries()) {
    const runtime = runtimes.find((r) => r.instance === target.instance);
    const settings = target.eventLog ?? {};
    const adapter = runtime?.adapter;
    if (settings.enabled === false || !adapter) continue;
    if (!adapter.logEvent) {
      if (settings.enabled === true) {
        throw new Error(
          `site.targets[${index}].eventLog.enabled: ${target.kind} target "${target.instance}" has no event log`,
        );
      }
      continue;
    }
    lanes.push({
      instance: target.instance,
      adapter: adapter as EventLogAdapter,
      outcomes: settings.outcomes ?? DEFAULT_EVENT_LOG_OUTCOMES,
      checkpoints: settings.checkpoints ?? true,
      failures: 0,
      nextAttemptAt: 0,
    });
  }
  return lanes;
}
