import { withAiChangeNote } from '../ai-change-note';
import { healthOf } from '../write-cycle';
import type { ParameterValue } from '@loopgate/contracts';
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
import { opcenterDescription } from './description';
import type { OpcenterConfig } from './config';
import { odataString, OpcenterTransport } from './transport';

/** One row of an Opcenter entity set, as far as Loopgate reads it. */
interface OpcenterRow {
  Id: string;
  NId?: string;
  IsLocked?: boolean;
  /** `Open`, `Locked`, `Audited` or `Closed`. */
  RecordStatus?: string;
  TransactionId?: string;
  [field: string]: unknown;
}

/** Work-order and lot fields the gateway can read, by Loopgate's parameter name. */
const FIELDS: Record<string, Record<string, string>> = {
  'work-order': { status: 'Status', workCenter: 'WorkCenter' },
  'material-lot': { status: 'Status' },
};

/** Bottleneck priority of event-log commands: after every write waiting on the limiter (writes use 5). */
const EVENT_PRIORITY = 9;

/** Opcenter's lot status while on hold, and after release. */
export const LOT_HOLD_STATUS = 'Hold';
export const LOT_ACTIVE_STATUS = 'Active';

function rejected(code: string, message: string): TargetError {
  return new TargetError('rejected', code, message);
}

/**
 * Siemens Opcenter Execution: commands through the MOM service bus, reads through OData.
 * Commands pass a client-side limiter (default 16/s, under the bus's silent 20/s throttle).
 */
export class OpcenterAdapter implements TargetAdapter {
  readonly kind = 'opcenter' as const;
  readonly capabilities: TargetCapabilities = capabilitiesOf(opcenterDescription);
  readonly description = opcenterDescription;
  readonly rateLimit: number;
  private readonly limiter: Bottleneck;
  private readonly transport: OpcenterTransport;

  constructor(
    readonly instance: string,
    config: OpcenterConfig,
  ) {
    this.rateLimit = config.writesPerSecond;
    this.transport = new OpcenterTransport(config, `Opcenter ${instance}`);
    // minTime spaces command starts; maxConcurrent 1 (default) keeps arrival order at the MES.
    this.limiter = new Bottleneck({
      minTime: Math.ceil(1000 / config.writesPerSecond),
      maxConcurrent: config.maxConcurrentWrites,
    });
  }

  async read(address: TargetAddress): Promise<ReadResult> {
    const { object, parameter } = address;
    let row: OpcenterRow;
    let field: string;
    if (object.type === 'recipe-parameter') {
      if (!parameter) throw rejected('INVALID_ADDRESS', 'a recipe parameter read needs a parameter name');
      row = await this.one(
        'ProcessParameters',
        `RecipeId eq ${odataString(object.id)} and Name eq ${odataString(parameter)}`,
      );
      field = 'Value';
    } else {
      const fields = FIELDS[object.type];
      if (!fields) throw rejected('UNSUPPORTED_OBJECT', `Opcenter reads no ${object.type} objects`);
      field = fields[parameter ?? 'status'];
      if (!field) throw rejected('UNKNOWN_PARAMETER', `Opcenter ${object.type} has no readable ${parameter}`);
      row = await this.one(
        object.type === 'work-order' ? 'WorkOrders' : 'MaterialLots',
        `NId eq ${odataString(object.id)}`,
      );
    }
    const value = row[field];
    return {
      value: value === undefined || value === null ? null : (value as ParameterValue),
      locked: row.IsLocked === true || row.RecordStatus === 'Locked',
      audited: row.RecordStatus === 'Audited' || row.RecordStatus === 'Closed',
    };
  }

  async write(command: TargetWrite): Promise<WriteResult> {
    checkDescribed(opcenterDescription, command);
    const { name, body } = this.commandOf(command);
    let answer;
    try {
      answer = await this.limiter.schedule(() => this.transport.command(name, body));
    } catch (error) {
      // A create whose first attempt landed: Opcenter refuses the duplicate NId; that first one is the result.
      if (
        command.action === 'create-quality-event' &&
        error instanceof TargetError &&
        error.code === 'MES_ALREADY_EXISTS'
      ) {
        const first = await this.findCreated(command.externalRef);
        if (first) return first;
      }
      throw error;
    }
    return { mesTransactionId: answer.TransactionId, appliedValue: answer.Id ?? command.value };
  }

  expectedAfter(command: TargetWrite): ExpectedReadBack | null {
    const object = command.object;
    switch (command.action) {
      case 'set-parameter':
        return command.value === undefined
          ? null
          : { address: { object, parameter: command.parameter }, value: command.value };
      case 'update-work-order-status':
        return {
          address: { object, parameter: 'status' },
          value: requiredText(command.value ?? command.details?.status, 'status'),
        };
      case 'reroute-work-order':
        return {
          address: { object, parameter: 'workCenter' },
          value: requiredText(command.details?.workCenter ?? command.value, 'details.workCenter'),
        };
      case 'hold-lot':
        return { address: { object, parameter: 'status' }, value: LOT_HOLD_STATUS };
      case 'release-lot':
        return { address: { object, parameter: 'status' }, value: LOT_ACTIVE_STATUS };
      default:
        return null;
    }
  }

  /**
   * A custom event (`CreateCustomEvent`, the site's Loopgate event type) through the MOM bus. The bus
   * throttles writes and events alike, so events wait behind every queued write (lowest priority of
   * the shared limiter); a throttled command is acknowledged and dropped, so the event is read back.
   */
  async logEvent(event: MesLogEvent): Promise<void> {
    const body = {
      NId: event.id,
      EventType: event.type,
      OccurredAt: event.time,
      Description: event.summary,
      Payload: JSON.stringify(event.data),
    };
    try {
      await this.limiter.schedule({ priority: EVENT_PRIORITY }, () =>
        this.transport.command('CreateCustomEvent', body),
      );
    } catch (error) {
      // Sent before, by this process or another: the log holds it.
      if (error instanceof TargetError && error.code === 'MES_ALREADY_EXISTS') return;
      throw error;
    }
    const rows = await this.transport.query<OpcenterRow>('CustomEvents', `NId eq ${odataString(event.id)}`);
    if (rows.length === 0) {
      throw new TargetError(
        'transient',
        'EVENT_NOT_RECORDED',
        `Opcenter ${this.instance}: custom event ${event.id} was acknowledged but is not in CustomEvents`,
      );
    }
  }

  async findCreated(externalRef: string): Promise<WriteResult | null> {
    const rows = await this.transport.query<OpcenterRow>('QualityEvents', `NId eq ${odataString(externalRef)}`);
    const row = rows[0];
    return row ? { mesTransactionId: row.TransactionId, appliedValue: row.Id } : null;
  }

  health(): Promise<TargetHealth> {
    return healthOf(() => this.transport.ping());
  }

  async close(): Promise<void> {
    await this.limiter.stop({ dropWaitingJobs: false });
    this.transport.close();
  }

  toJSON(): unknown {
    return { kind: this.kind, instance: this.instance, rateLimit: this.rateLimit };
  }

  private async one(entitySet: string, filter: string): Promise<OpcenterRow> {
    const rows = await this.transport.query<OpcenterRow>(entitySet, filter);
    if (rows.length === 0) throw rejected('NOT_FOUND', `Opcenter ${this.instance}: nothing in ${entitySet} matches`);
    return rows[0];
  }

  /** Maps a write its description takes (checked by `write`) to Opcenter's command and its `command` body. */
  private commandOf(command: TargetWrite): { name: string; body: Record<string, unknown> } {
    const { object, externalRef, reason } = command;
    switch (command.action) {
      case 'set-parameter':
        return {
          name: 'SetProcessParameterValue',
          body: {
            RecipeId: object.id,
            Name: command.parameter,
            Value: command.value,
            ExternalRef: externalRef,
            Reason: withAiChangeNote(reason, command.origin),
          },
        };
      case 'update-work-order-status':
        return {
          name: 'UpdateWorkOrderStatus',
          body: {
            WorkOrderNId: object.id,
            Status: requiredText(command.value ?? command.details?.status, 'status'),
            ExternalRef: externalRef,
            Reason: reason,
          },
        };
      case 'reroute-work-order': {
        const operations = command.details?.operations;
        return {
          name: 'RerouteWorkOrderOperations',
          body: {
            WorkOrderNId: object.id,
            WorkCenterNId: requiredText(command.details?.workCenter ?? command.value, 'details.workCenter'),
            ...(typeof operations === 'number' ? { NextOperations: operations } : {}),
            ExternalRef: externalRef,
            Reason: reason,
          },
        };
      }
      case 'hold-lot':
      case 'release-lot':
        return {
          name: command.action === 'hold-lot' ? 'HoldMaterialLot' : 'ReleaseMaterialLot',
          body: { MaterialLotNId: object.id, ExternalRef: externalRef, Reason: reasonWithComment(command) },
        };
      case 'create-quality-event':
        return {
          name: 'CreateQualityEvent',
          body: {
            NId: externalRef,
            Description: command.details?.description ?? reason,
            Severity: command.details?.severity ?? 'Medium',
            SubjectType: object.type,
            SubjectNId: object.id,
          },
        };
      default:
        throw rejected('UNSUPPORTED_ACTION', `Opcenter does not support ${command.action}`);
    }
  }
}
