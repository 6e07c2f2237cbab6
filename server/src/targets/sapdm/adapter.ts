import Bottleneck from 'bottleneck';
import {
  TargetError,
  type ExpectedReadBack,
  type ReadResult,
  type TargetAdapter,
  type TargetAddress,
  type TargetCapabilities,
  type TargetHealth,
  type TargetWrite,
  type WriteResult,
} from '../adapter';
import { withAiChangeNote } from '../ai-change-note';
import { capabilitiesOf, checkDescribed, reasonWithComment, requiredText } from '../describe';
import { healthOf } from '../write-cycle';
import type { SapDmConfig } from './config';
import { sapDmDescription } from './description';
import { SapDmTransport, type DmNonconformance } from './transport';

/** An SFC's status once on hold, and once released back into its operation's queue. */
export const SFC_HOLD_STATUS = 'HOLD';
export const SFC_RELEASED_STATUS = 'IN_QUEUE';
/** The nonconformance code a quality event is logged with unless it names one. */
export const DEFAULT_NC_CODE = 'LOOPGATE';
/** SFC and order statuses that make the record history. */
const HISTORY = new Set(['DONE', 'SCRAPPED', 'CLOSED']);

function created(nc: DmNonconformance): WriteResult {
  return { mesTransactionId: nc.incidentNumber, appliedValue: nc.id };
}

/**
 * SAP Digital Manufacturing (its REST APIs' style): holds and releases SFCs, changes production
 * order status and logs nonconformances on SFCs, for one plant. A nonconformance carries the
 * command's external reference as `referenceId` and is looked up by it before a retry.
 */
export class SapDmAdapter implements TargetAdapter {
  readonly kind = 'sapdm' as const;
  readonly capabilities: TargetCapabilities = capabilitiesOf(sapDmDescription);
  readonly description = sapDmDescription;
  readonly rateLimit: number;
  private readonly limiter: Bottleneck;
  private readonly transport: SapDmTransport;

  constructor(
    readonly instance: string,
    config: SapDmConfig,
  ) {
    this.rateLimit = config.writesPerSecond;
    this.transport = new SapDmTransport(config, `SAP DM ${instance}`);
    this.limiter = new Bottleneck({ minTime: Math.ceil(1000 / config.writesPerSecond), maxConcurrent: 1 });
  }

  async read(address: TargetAddress): Promise<ReadResult> {
    const { object } = address;
    if (object.type === 'material-lot') {
      const sfc = await this.transport.sfc(object.id);
      return {
        value: sfc.status,
        locked: Boolean(sfc.lockedBy),
        audited: sfc.modifiable === false || HISTORY.has(sfc.status),
      };
    }
    if (object.type === 'work-order') {
      const order = await this.transport.order(object.id);
      return {
        value: order.executionStatus,
        locked: Boolean(order.lockedBy),
        audited: order.modifiable === false || HISTORY.has(order.executionStatus),
      };
    }
    throw new TargetError('rejected', 'UNSUPPORTED_OBJECT', `SAP DM reads SFCs and orders, not ${object.type}`);
  }

  async write(command: TargetWrite): Promise<WriteResult> {
    checkDescribed(sapDmDescription, command);
    const { object, externalRef } = command;
    const reason = withAiChangeNote(command.reason, command.origin);
    switch (command.action) {
      case 'hold-lot':
      case 'release-lot': {
        const hold = command.action === 'hold-lot';
        const comment = reasonWithComment({ reason, details: command.details });
        const sfc = await this.limiter.schedule(() => this.transport.changeHold(object.id, hold, comment, externalRef));
        return { appliedValue: sfc.status };
      }
      case 'update-work-order-status': {
        const status = requiredText(command.value ?? command.details?.status, 'status');
        const order = await this.limiter.schedule(() =>
          this.transport.setOrderStatus(object.id, status, reason, externalRef),
        );
        return { appliedValue: order.executionStatus };
      }
      case 'create-quality-event': {
        const details = command.details ?? {};
        return this.limiter.schedule(async () => {
          // A retry of a log whose answer was lost: the first nonconformance is the result.
          const first = await this.findCreated(externalRef);
          if (first) return first;
          const nc = await this.transport.logNonconformance({
            sfc: object.id,
            code: typeof details.code === 'string' && details.code !== '' ? details.code : DEFAULT_NC_CODE,
            comment:
              typeof details.description === 'string' && details.description !== '' ? details.description : reason,
            referenceId: externalRef,
          });
          return created(nc);
        });
      }
      default:
        throw new TargetError('rejected', 'UNSUPPORTED_ACTION', `SAP DM does not support ${command.action}`);
    }
  }

  expectedAfter(command: TargetWrite): ExpectedReadBack | null {
    const address = { object: command.object, parameter: 'status' };
    switch (command.action) {
      case 'hold-lot':
        return { address, value: SFC_HOLD_STATUS };
      case 'release-lot':
        return { address, value: SFC_RELEASED_STATUS };
      case 'update-work-order-status':
        return { address, value: requiredText(command.value ?? command.details?.status, 'status') };
      default:
        return null;
    }
  }

  async findCreated(externalRef: string): Promise<WriteResult | null> {
    const [first] = await this.transport.nonconformances(externalRef);
    return first ? created(first) : null;
  }

  health(): Promise<TargetHealth> {
    return healthOf(() => this.transport.ping());
  }

  async close(): Promise<void> {
    this.transport.close();
    await this.limiter.stop({ dropWaitingJobs: false });
  }

  toJSON(): unknown {
    return { kind: this.kind, instance: this.instance, rateLimit: this.rateLimit };
  }
}
