import { healthOf } from '../write-cycle';
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
  type TargetWrite,
  type WriteResult,
} from '../adapter';
import { capabilitiesOf, checkDescribed, requiredText } from '../describe';
import { cmmsDescription } from './description';
import type { CmmsConfig } from './config';
import { CmmsTransport, type MaximoWorkOrder } from './transport';

/** Work order fields the gateway can read, by Loopgate's parameter name. */
const READABLE = new Set(['status', 'description', 'assetnum', 'worktype', 'wopriority']);

/** Statuses of history records, which Maximo refuses to change. */
const HISTORY_STATUSES = new Set(['CLOSE', 'CAN']);

function rejected(code: string, message: string): TargetError {
  return new TargetError('rejected', code, message);
}

function created(workOrder: MaximoWorkOrder): WriteResult {
  return { mesTransactionId: workOrder.wonum, appliedValue: workOrder.wonum };
}

/**
 * A CMMS (Maximo-style object structures): creates preventive maintenance work orders for an asset
 * and changes work order status. A create carries the command's external reference in
 * `externalrefid` and first looks it up, so a retried create finds the first work order instead of
 * making a second one (the CMMS itself does not refuse duplicates).
 */
export class CmmsAdapter implements TargetAdapter {
  readonly kind = 'cmms' as const;
  readonly capabilities: TargetCapabilities = capabilitiesOf(cmmsDescription);
  readonly description = cmmsDescription;
  readonly rateLimit: number;
  private readonly limiter: Bottleneck;
  private readonly transport: CmmsTransport;

  constructor(
    readonly instance: string,
    private readonly config: CmmsConfig,
  ) {
    this.rateLimit = config.writesPerSecond;
    this.transport = new CmmsTransport(config, `CMMS ${instance}`);
    this.limiter = new Bottleneck({ minTime: Math.ceil(1000 / config.writesPerSecond), maxConcurrent: 1 });
  }

  async read(address: TargetAddress): Promise<ReadResult> {
    const { object } = address;
    if (object.type !== 'work-order')
      throw rejected('UNSUPPORTED_OBJECT', `the CMMS reads work orders, not ${object.type}`);
    const parameter = address.parameter ?? 'status';
    if (!READABLE.has(parameter)) throw rejected('UNKNOWN_PARAMETER', `a CMMS work order has no readable ${parameter}`);
    const [workOrder] = await this.transport.findWorkOrders({ wonum: object.id });
    if (!workOrder) throw rejected('NOT_FOUND', `CMMS ${this.instance}: no work order ${object.id}`);
    const value = workOrder[parameter];
    return {
      value: typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null,
      locked: typeof workOrder.lockedby === 'string' && workOrder.lockedby.length > 0,
      audited: workOrder.historyflag === true || HISTORY_STATUSES.has(String(workOrder.status)),
    };
  }

  async write(command: TargetWrite): Promise<WriteResult> {
    checkDescribed(cmmsDescription, command);
    const { object, externalRef, reason } = command;
    switch (command.action) {
      case 'create-maintenance-work-order': {
        const details = command.details ?? {};
        const priority = details.priority;
        if (priority !== undefined && (typeof priority !== 'number' || !Number.isInteger(priority))) {
          throw rejected('INVALID_COMMAND', 'details.priority must be an integer');
        }
        return this.limiter.schedule(async () => {
          // A retry of a create whose answer was lost: the first work order is the result.
          const first = await this.findCreated(externalRef);
          if (first) return first;
          const workOrder = await this.transport.createWorkOrder({
            assetnum: object.id,
            description: typeof details.description === 'string' ? details.description : reason,
            worktype: typeof details.worktype === 'string' ? details.worktype : this.config.workType,
            ...(priority !== undefined ? { wopriority: priority } : {}),
            externalrefid: externalRef,
          });
          return created(workOrder);
        });
      }
      case 'update-work-order-status': {
        const status = requiredText(command.value ?? command.details?.status, 'status');
        await this.limiter.schedule(() => this.transport.changeStatus(object.id, status, reason, externalRef));
        return { appliedValue: status };
      }
      default:
        throw rejected('UNSUPPORTED_ACTION', `the CMMS does not support ${command.action}`);
    }
  }

  expectedAfter(command: TargetWrite): ExpectedReadBack | null {
    if (command.action !== 'update-work-order-status') return null;
    return {
      address: { object: command.object, parameter: 'status' },
      value: requiredText(command.value ?? command.details?.status, 'status'),
    };
  }

  async findCreated(externalRef: string): Promise<WriteResult | null> {
    const found = await this.transport.findWorkOrders({ externalrefid: externalRef });
    // Should duplicates exist (made by another client), the oldest is the one this reference made first.
    const first = found.sort((a, b) => (a.workorderid ?? 0) - (b.workorderid ?? 0))[0];
    return first ? created(first) : null;
  }

  health(): Promise<TargetHealth> {
    return healthOf(() => this.transport.ping());
  }

  /** A work-log entry in the CMMS, outside the write limiter (writes never wait for it). */
  logEvent(event: MesLogEvent): Promise<void> {
    return this.transport.postWorkLog({
      externalrefid: event.id,
      logtype: 'LOOPGATE',
      createdate: event.time,
      // Maximo's description is short (100 characters); the whole event goes in the long description.
      description: event.summary.slice(0, 100),
      // Maximo's log type is a domain value (LOOPGATE); the event's own type travels in the long description.
      description_longdescription: JSON.stringify({ eventType: event.type, ...event.data }),
    });
  }

  async close(): Promise<void> {
    await this.limiter.stop({ dropWaitingJobs: false });
  }

  toJSON(): unknown {
    return { kind: this.kind, instance: this.instance, rateLimit: this.rateLimit };
  }
}
