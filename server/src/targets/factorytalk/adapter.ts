import { withAiChangeNote } from '../ai-change-note';
import { healthOf } from '../write-cycle';
import type { ParameterValue } from '@loopgate/contracts';
import { Mutex } from 'async-mutex';
import Bottleneck from 'bottleneck';
import {
  TargetError,
  type ExpectedReadBack,
  type MesLogEvent,
  type ReadResult,
  type TargetAdapter,
  type TargetAddress,
  type TargetCapabilities,
  type TargetHealth,
  type TargetLock,
  type TargetWrite,
  type WriteResult,
} from '../adapter';
import { capabilitiesOf, checkDescribed, requiredText } from '../describe';
import { factoryTalkDescription } from './description';
import { GATEWAY_PROCESS_ID } from '../process-identity';
import type { FactoryTalkConfig } from './config';
import { FactoryTalkTransport, type FtResource } from './transport';

/** Work-order fields the gateway can read, by Loopgate's parameter name. */
const WORK_ORDER_FIELDS = ['status', 'workCenter'] as const;

function rejected(code: string, message: string): TargetError {
  return new TargetError('rejected', code, message);
}

function resourceOf(address: TargetAddress): FtResource {
  if (address.object.type === 'work-order') return { kind: 'workorders', id: address.object.id };
  if (address.object.type === 'recipe-parameter') return { kind: 'recipes', id: address.object.id };
  throw rejected('UNSUPPORTED_OBJECT', `FactoryTalk ProductionCentre has no ${address.object.type} objects`);
}

/**
 * Rockwell FactoryTalk ProductionCentre: work orders over REST, recipe parameters through the recipe
 * management API. Modifying an in-progress work order (or a recipe) needs its lock: the gateway calls
 * `acquireLock` → `write` with the lock → `releaseLock`. A lock held by the operator console is `locked`.
 */
export class FactoryTalkAdapter implements TargetAdapter {
  readonly kind = 'factorytalk' as const;
  readonly capabilities: TargetCapabilities = capabilitiesOf(factoryTalkDescription);
  readonly description = factoryTalkDescription;
  readonly rateLimit: number;
  private readonly limiter: Bottleneck;
  private readonly transport: FactoryTalkTransport;
  private readonly label: string;
  /** The name this process's locks are held under: one per gateway process, so processes never share a lock. */
  readonly holder: string;
  /** Per recipe or work order: this process's writes take turns for the MES lock instead of contending for it. */
  private readonly turns = new Map<string, Mutex>();
  private readonly turnReleases = new Map<string, () => void>();

  constructor(
    readonly instance: string,
    config: FactoryTalkConfig,
    private readonly now: () => number = Date.now,
    processId: string = GATEWAY_PROCESS_ID,
  ) {
    this.rateLimit = config.writesPerSecond;
    this.label = `FactoryTalk ${instance}`;
    this.holder = `loopgate:${instance}:${processId}`;
    this.transport = new FactoryTalkTransport(config, this.label);
    this.limiter = new Bottleneck({ minTime: Math.ceil(1000 / config.writesPerSecond) });
  }

  async read(address: TargetAddress): Promise<ReadResult> {
    const resource = resourceOf(address);
    if (resource.kind === 'recipes') {
      if (!address.parameter) throw rejected('INVALID_ADDRESS', 'a recipe parameter read needs a parameter name');
      const parameter = await this.transport.getRecipeParameter(resource.id, address.parameter);
      return this.readResult(parameter.value, parameter.recordState, parameter.lock, parameter.lastChangedBy);
    }
    const field = address.parameter ?? 'status';
    if (!(WORK_ORDER_FIELDS as readonly string[]).includes(field)) {
      throw rejected('UNKNOWN_PARAMETER', `FactoryTalk work orders have no readable ${field}`);
    }
    const workOrder = await this.transport.getWorkOrder(resource.id);
    const value = workOrder[field as (typeof WORK_ORDER_FIELDS)[number]];
    return this.readResult(value, workOrder.recordState, workOrder.lock, workOrder.lastChangedBy?.[field]);
  }

  /**
   * Takes the recipe's or work order's lock for this process. A second write of this process to the
   * same record waits its turn here; a lock held by someone else fails `locked` with `heldBy`.
   */
  async acquireLock(address: TargetAddress): Promise<TargetLock> {
    const resource = resourceOf(address);
    const key = `${resource.kind}/${resource.id}`;
    let turn = this.turns.get(key);
    if (!turn) this.turns.set(key, (turn = new Mutex()));
    const release = await turn.acquire();
    try {
      const lock = await this.transport.acquireLock(resource, this.holder);
      const expiresAt = Date.parse(lock.expiresAt);
      // A turn never outlives its lock: a caller that never releases does not block the record for good.
      const timer = setTimeout(() => this.endTurn(key, lock.lockToken), Math.max(0, expiresAt - this.now()));
      timer.unref();
      this.turnReleases.set(lock.lockToken, () => {
        clearTimeout(timer);
        release();
      });
      return { token: lock.lockToken, expiresAt };
    } catch (error) {
      release();
      if (!turn.isLocked()) this.turns.delete(key);
      throw error;
    }
  }

  async releaseLock(address: TargetAddress, lock: TargetLock): Promise<void> {
    const resource = resourceOf(address);
    try {
      await this.transport.releaseLock(resource, lock.token);
    } finally {
      this.endTurn(`${resource.kind}/${resource.id}`, lock.token);
    }
  }

  private endTurn(key: string, token: string): void {
    const release = this.turnReleases.get(token);
    if (!release) return;
    this.turnReleases.delete(token);
    release();
    if (!this.turns.get(key)?.isLocked()) this.turns.delete(key);
  }

  async write(command: TargetWrite): Promise<WriteResult> {
    checkDescribed(factoryTalkDescription, command);
    const { object, externalRef, lock } = command;
    if (lock && lock.expiresAt <= this.now()) {
      // Sending would be refused anyway; say so without a round trip.
      throw new TargetError(
        'locked',
        'LOCK_EXPIRED',
        `${this.label}: the lock on ${object.id} expired before the change was sent`,
      );
    }
    const token = lock?.token;
    switch (command.action) {
      case 'set-parameter': {
        const body = { value: command.value!, externalRef, reason: withAiChangeNote(command.reason, command.origin) };
        const answer = await this.limited(() =>
          this.transport.setRecipeParameter(object.id, command.parameter!, body, token),
        );
        return { mesTransactionId: answer.transactionId, appliedValue: answer.value };
      }
      case 'reroute-work-order': {
        const operations = command.details?.operations;
        const body = {
          workCenter: requiredText(command.details?.workCenter ?? command.value, 'details.workCenter'),
          ...(typeof operations === 'number' ? { operations } : {}),
          externalRef,
        };
        const answer = await this.limited(() => this.transport.reroute(object.id, body, token));
        return { appliedValue: answer.workCenter };
      }
      case 'update-work-order-status': {
        const body = { status: requiredText(command.value ?? command.details?.status, 'status'), externalRef };
        const answer = await this.limited(() => this.transport.setStatus(object.id, body, token));
        return { appliedValue: answer.status };
      }
      default:
        throw rejected('UNSUPPORTED_ACTION', `FactoryTalk ProductionCentre does not support ${command.action}`);
    }
  }

  expectedAfter(command: TargetWrite): ExpectedReadBack | null {
    const object = command.object;
    switch (command.action) {
      case 'set-parameter':
        return command.value === undefined
          ? null
          : { address: { object, parameter: command.parameter }, value: command.value };
      case 'reroute-work-order':
        return {
          address: { object, parameter: 'workCenter' },
          value: requiredText(command.details?.workCenter ?? command.value, 'details.workCenter'),
        };
      case 'update-work-order-status':
        return {
          address: { object, parameter: 'status' },
          value: requiredText(command.value ?? command.details?.status, 'status'),
        };
      default:
        return null;
    }
  }

  health(): Promise<TargetHealth> {
    return healthOf(() => this.transport.ping());
  }

  /** An event in ProductionCentre's event log, outside the write limiter and its locks (writes never wait for it). */
  async logEvent(event: MesLogEvent): Promise<void> {
    try {
      await this.transport.postEvent({
        eventId: event.id,
        eventType: event.type,
        occurredAt: event.time,
        description: event.summary,
        data: event.data,
      });
    } catch (error) {
      if (error instanceof TargetError && error.code === 'MES_ALREADY_EXISTS') return;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.limiter.stop({ dropWaitingJobs: false });
  }

  toJSON(): unknown {
    return { kind: this.kind, instance: this.instance, rateLimit: this.rateLimit };
  }

  private limited<T>(send: () => Promise<T>): Promise<T> {
    return this.limiter.schedule(send);
  }

  /** Our own lock (held between acquire and release) does not make the record locked to us. */
  private readResult(
    value: ParameterValue | null | undefined,
    recordState: string,
    lock: { holder: string } | null,
    changedBy?: string | null,
  ): ReadResult {
    const heldByOther = lock !== null && lock.holder !== this.holder;
    return {
      value: value ?? null,
      locked: heldByOther || recordState === 'Locked',
      audited: recordState === 'Audited' || recordState === 'Closed',
      ...(changedBy ? { changedBy } : {}),
    };
  }
}
