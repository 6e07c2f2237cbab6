import { healthOf } from '../write-cycle';
import type { ParameterValue } from '@loopgate/contracts';
import { Logger } from '@nestjs/common';
import Bottleneck from 'bottleneck';
import {
  TargetError,
  type ReadResult,
  type TargetAdapter,
  type TargetAddress,
  type TargetCapabilities,
  type TargetHealth,
  type TargetWrite,
  type WriteOrigin,
  type WriteResult,
} from '../adapter';
import { capabilitiesOf, checkDescribed } from '../describe';
import { opcuaDescription } from './description';
import type { OpcuaConfig } from './config';
import { OpcuaTransport, type NodeState, type NodeWrite } from './transport';

/** A full OPC UA node id as text: `ns=1;s=…`, `nsu=urn:…;s=…`, `i=2259`. */
const FULL_NODE_ID = /^(?:(?:ns=\d+|nsu=[^;]+);)?[isgb]=/;
/** A string node id whose namespace part can name its children: `ns=1;s=CNC_Cell_01`. */
const STRING_NODE_ID = /^((?:ns=\d+|nsu=[^;]+));s=(.+)$/;

const INTEGER_RANGES: Record<string, [number, number]> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32_768, 32_767],
  UInt16: [0, 65_535],
  Int32: [-2_147_483_648, 2_147_483_647],
  UInt32: [0, 4_294_967_295],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
};
const FLOAT_MAX = 3.4028234663852886e38;

/**
 * Why `value` cannot be written to a node of `dataType` / `valueRank`, or `null` when it can.
 *
 * @example
 * valueMismatch('Double', -1, 1180); // null
 * valueMismatch('Boolean', -1, 1);   // 'the node takes a Boolean, not a number'
 */
export function valueMismatch(dataType: string, valueRank: number, value: ParameterValue): string | null {
  if (valueRank >= 0) return `the node holds an array (value rank ${valueRank}); Loopgate writes scalars`;
  const given = typeof value;
  const range = INTEGER_RANGES[dataType];
  if (range) {
    if (given !== 'number' || !Number.isInteger(value)) return `the node takes an ${dataType}, not ${describe(value)}`;
    const number = value as number;
    return number < range[0] || number > range[1] ? `${number} does not fit an ${dataType}` : null;
  }
  switch (dataType) {
    case 'Double':
      return given === 'number' && Number.isFinite(value) ? null : `the node takes a Double, not ${describe(value)}`;
    case 'Float':
      return given === 'number' && Math.abs(value as number) <= FLOAT_MAX
        ? null
        : `the node takes a Float, not ${describe(value)}`;
    case 'Boolean':
      return given === 'boolean' ? null : `the node takes a Boolean, not ${describe(value)}`;
    case 'String':
      return given === 'string' ? null : `the node takes a String, not ${describe(value)}`;
    default:
      return `Loopgate does not write nodes of type ${dataType}`;
  }
}

function describe(value: ParameterValue): string {
  return typeof value === 'number' && !Number.isInteger(value) ? 'a fractional number' : `a ${typeof value}`;
}

function rejected(code: string, message: string): TargetError {
  return new TargetError('rejected', code, message);
}

/**
 * The node a target address names and its object's lock. A full node id as `parameter` is used as
 * it is; otherwise object `CNC_Cell_01` + parameter `FeedRate` is `nsu=<namespaceUri>;s=CNC_Cell_01.FeedRate`
 * (`ns=1` without a namespace URI), and the object's OPC UA DI lock is `…;s=CNC_Cell_01.Lock.Locked`.
 */
export function nodeIdsOf(address: TargetAddress, namespaceUri?: string): { node: string; lock?: string } {
  const { object, parameter } = address;
  if (!parameter) throw rejected('INVALID_ADDRESS', 'an OPC UA address needs a parameter (the node)');
  if (FULL_NODE_ID.test(parameter)) {
    const owner = STRING_NODE_ID.exec(object.id);
    return { node: parameter, ...(owner ? { lock: `${owner[1]};s=${owner[2]}.Lock.Locked` } : {}) };
  }
  const namespace = namespaceUri ? `nsu=${namespaceUri}` : 'ns=1';
  return { node: `${namespace};s=${object.id}.${parameter}`, lock: `${namespace};s=${object.id}.Lock.Locked` };
}

/**
 * The HMI's AI-changed flag written with a value: `…;s=X_AIChanged` true for an AI write (false for
 * a person's, which clears it) and `…;s=X_AIChangedBy` naming the model and the command. Only string
 * node ids have companions; writes without an origin (none today) change no flag.
 *
 * @example
 * aiChangedCompanions('ns=1;s=CNC_Cell_01.FeedRate', { initiator: 'ai', modelId: 'tool-wear', commandId: 'c-1' })
 * // → [{ nodeId: 'ns=1;s=CNC_Cell_01.FeedRate_AIChanged', dataType: 'Boolean', value: true },
 * //    { nodeId: 'ns=1;s=CNC_Cell_01.FeedRate_AIChangedBy', dataType: 'String', value: 'tool-wear, command c-1' }]
 */
export function aiChangedCompanions(node: string, origin: WriteOrigin | undefined): NodeWrite[] {
  if (!origin || !STRING_NODE_ID.test(node)) return [];
  const ai = origin.initiator === 'ai';
  const model = [origin.modelId ?? 'AI', origin.modelVersion].filter(Boolean).join(' ');
  return [
    { nodeId: `${node}_AIChanged`, dataType: 'Boolean', value: ai },
    { nodeId: `${node}_AIChangedBy`, dataType: 'String', value: ai ? `${model}, command ${origin.commandId}` : '' },
  ];
}

/**
 * OPC UA setpoints (node-opcua): checks the node's data type before writing, so a mismatched value
 * is a clear `TYPE_MISMATCH` rejection; `BadNotWritable` and `BadUserAccessDenied` end as rejected,
 * `BadLocked` (another client holds the device's lock) as locked. One session per adapter.
 * `audited` reads true for a node whose AccessLevel forbids writing (a measured value, an interlock
 * or a setpoint frozen by change control): it must not be written, whoever asks.
 */
export class OpcuaAdapter implements TargetAdapter {
  readonly kind = 'opcua' as const;
  readonly capabilities: TargetCapabilities = capabilitiesOf(opcuaDescription);
  readonly description = opcuaDescription;
  readonly rateLimit: number;
  private readonly limiter: Bottleneck;
  private readonly transport: OpcuaTransport;
  private readonly logger = new Logger('OpcuaAdapter');

  constructor(
    readonly instance: string,
    private readonly config: OpcuaConfig,
  ) {
    this.rateLimit = config.writesPerSecond;
    this.transport = new OpcuaTransport(config, `OPC UA ${instance}`);
    this.limiter = new Bottleneck({ minTime: Math.ceil(1000 / config.writesPerSecond), maxConcurrent: 1 });
  }

  async read(address: TargetAddress): Promise<ReadResult> {
    const { node, lock } = nodeIdsOf(address, this.config.namespaceUri);
    const state = await this.transport.inspect(node, lock);
    return { value: state.value, locked: state.locked, audited: !state.writable };
  }

  async write(command: TargetWrite): Promise<WriteResult> {
    checkDescribed(opcuaDescription, command);
    const value = command.value!;
    const { node } = nodeIdsOf(command, this.config.namespaceUri);
    return this.limiter.schedule(async () => {
      const state: NodeState = await this.transport.inspect(node);
      const mismatch = valueMismatch(state.dataType, state.valueRank, value);
      if (mismatch) throw rejected('TYPE_MISMATCH', `OPC UA ${this.instance}: ${node}: ${mismatch}`);
      const companions = this.config.aiChangedFlag ? aiChangedCompanions(node, command.origin) : [];
      const results = await this.transport.write(node, state.dataType, value, command.externalRef, companions);
      for (const refused of results.filter((r) => !r.good)) {
        this.logger.warn(
          `OPC UA ${this.instance}: ${node} written, but its HMI flag ${refused.nodeId} was refused (${refused.status})`,
        );
      }
      return { appliedValue: value };
    });
  }

  health(): Promise<TargetHealth> {
    return healthOf(
      () => this.transport.checkHealth(),
      (error) => {
        const lastLoss = this.transport.lastLossReason;
        return `${error.code}: ${error.message}${lastLoss ? ` (last session ended: ${lastLoss})` : ''}`;
      },
    );
  }

  async close(): Promise<void> {
    await this.limiter.stop({ dropWaitingJobs: false });
    await this.transport.close();
  }

  toJSON(): unknown {
    return {
      kind: this.kind,
      instance: this.instance,
      rateLimit: this.rateLimit,
      endpointUrl: this.config.endpointUrl,
    };
  }
}
