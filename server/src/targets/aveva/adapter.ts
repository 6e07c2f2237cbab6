import { withAiChangeNote } from '../ai-change-note';
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
import { capabilitiesOf, checkDescribed, reasonWithComment, requiredText } from '../describe';
import { avevaDescription } from './description';
import type { AvevaConfig } from './config';
import { AvevaTransport, type HistorianValue, type MesRecord } from './transport';

/** AVEVA MES lot status while on hold, and after release. */
export const AVEVA_LOT_HOLD_STATUS = 'Hold';
export const AVEVA_LOT_RELEASED_STATUS = 'Available';

function rejected(code: string, message: string): TargetError {
  return new TargetError('rejected', code, message);
}

function recordFlags(record: { lockedBy: string | null; recordState: string }): Pick<ReadResult, 'locked' | 'audited'> {
  return {
    locked: record.lockedBy !== null || record.recordState === 'Locked',
    audited: record.recordState === 'Audited' || record.recordState === 'Closed',
  };
}

/**
 * AVEVA MES / System Platform: parameters are attributes of Galaxy objects (`CNC_Cell_01` +
 * `FeedRate.SP`, written with a PUT and historized by AVEVA); lots and work orders through the MES
 * web API. Writes pass a client-side limiter, one at a time so they reach AVEVA in order.
 */
export class AvevaAdapter implements TargetAdapter {
  readonly kind = 'aveva' as const;
  readonly capabilities: TargetCapabilities = capabilitiesOf(avevaDescription);
  readonly description = avevaDescription;
  readonly rateLimit: number;
  private readonly limiter: Bottleneck;
  private readonly transport: AvevaTransport;

  constructor(
    readonly instance: string,
    config: AvevaConfig,
  ) {
    this.rateLimit = config.writesPerSecond;
    this.transport = new AvevaTransport(config, `AVEVA ${instance}`);
    this.limiter = new Bottleneck({ minTime: Math.ceil(1000 / config.writesPerSecond), maxConcurrent: 1 });
  }

  async read(address: TargetAddress): Promise<ReadResult> {
    const { object, parameter } = address;
    switch (object.type) {
      case 'equipment':
      case 'recipe-parameter': {
        if (!parameter) throw rejected('INVALID_ADDRESS', 'an attribute read needs a parameter (attribute) name');
        const attribute = await this.transport.readAttribute(object.id, parameter);
        return { value: attribute.value, ...recordFlags(attribute) };
      }
      case 'material-lot':
        return this.statusOf(await this.transport.readLot(object.id), parameter, 'status');
      case 'work-order':
        return this.statusOf(await this.transport.readWorkOrder(object.id), parameter, 'state');
      default:
        throw rejected('UNSUPPORTED_OBJECT', `AVEVA reads no ${String(object.type)} objects`);
    }
  }

  async write(command: TargetWrite): Promise<WriteResult> {
    checkDescribed(avevaDescription, command);
    const { object, externalRef, reason } = command;
    switch (command.action) {
      case 'set-parameter': {
        const parameter = command.parameter!;
        const value = command.value!;
        const answer = await this.limiter.schedule(() =>
          this.transport.writeAttribute(
            object.id,
            parameter,
            value,
            withAiChangeNote(reason, command.origin),
            externalRef,
          ),
        );
        return { mesTransactionId: answer.transactionId, appliedValue: answer.value ?? value };
      }
      case 'hold-lot':
      case 'release-lot': {
        const hold = command.action === 'hold-lot';
        const answer = await this.limiter.schedule(() =>
          this.transport.changeLot(object.id, hold, reasonWithComment(command), externalRef),
        );
        return { mesTransactionId: answer.transactionId, appliedValue: answer.status ?? null };
      }
      case 'update-work-order-status': {
        const state = requiredText(command.value ?? command.details?.status, 'status');
        const answer = await this.limiter.schedule(() =>
          this.transport.setWorkOrderState(object.id, state, reason, externalRef),
        );
        return { mesTransactionId: answer.transactionId, appliedValue: answer.state ?? state };
      }
      default:
        throw rejected('UNSUPPORTED_ACTION', `AVEVA does not support ${command.action}`);
    }
  }

  expectedAfter(command: TargetWrite): ExpectedReadBack | null {
    const object = command.object;
    switch (command.action) {
      case 'set-parameter':
        return command.value === undefined
          ? null
          : { address: { object, parameter: command.parameter }, value: command.value };
      case 'hold-lot':
        return { address: { object, parameter: 'status' }, value: AVEVA_LOT_HOLD_STATUS };
      case 'release-lot':
        return { address: { object, parameter: 'status' }, value: AVEVA_LOT_RELEASED_STATUS };
      case 'update-work-order-status':
        return {
          address: { object, parameter: 'status' },
          value: requiredText(command.value ?? command.details?.status, 'status'),
        };
      default:
        return null;
    }
  }

  /**
   * What the historian holds for an attribute (`CNC_Cell_01` + `FeedRate.SP`) since `from`: the
   * same records AVEVA's reports read, so a write-back shows there without a separate logging step.
   */
  history(tagName: string, attribute: string, from?: Date): Promise<HistorianValue[]> {
    return this.transport.history(`${tagName}.${attribute}`, from);
  }

  health(): Promise<TargetHealth> {
    return healthOf(() => this.transport.ping());
  }

  /** An event in the AVEVA Historian's event store, outside the write limiter (writes never wait for it). */
  async logEvent(event: MesLogEvent): Promise<void> {
    try {
      await this.transport.postEvent({
        Id: event.id,
        Type: event.type,
        EventTime: event.time,
        Source: 'Loopgate',
        Description: event.summary,
        Properties: event.data,
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

  private statusOf(record: MesRecord, parameter: string | undefined, field: 'status' | 'state'): ReadResult {
    if (parameter !== undefined && parameter !== 'status') {
      throw rejected('UNKNOWN_PARAMETER', `AVEVA reads only the status of lots and work orders, not ${parameter}`);
    }
    const value = record[field];
    return { value: value ?? null, ...recordFlags(record) };
  }
}
