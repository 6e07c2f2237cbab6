import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ParameterValue } from '@loopgate/contracts';
import type { OPCUAServer, StatusCode, UAObject, UAVariable, Variant } from 'node-opcua' with {
  'resolution-mode': 'import',
};
import {
  FaultHandle,
  RECORD_STATES,
  type FaultSettings,
  SimHttpError,
  SimLedger,
  type LedgerEntry,
  type RecordState,
  type RunningSimulator,
  type SimLock,
  type TargetSimulatorDefinition,
} from '../sim-kit';
import { CncCellProcess, type CncCellProcessOptions, type CncCellSnapshot } from './cnc-cell-process';
import { loadNodeOpcua, type NodeOpcua } from './node-opcua';
import { freePort } from '../../common/free-port';

/**
 * The CNC cell of the live demo as an OPC UA server (node-opcua); also the simulator the OPC UA
 * adapter's contract suite runs against.
 *
 * Namespace 1 is `urn:loopgate:cnc-cell` (the server's application URI). All node ids are strings:
 *
 * | node id                                     | type    | access                                                 |
 * |---------------------------------------------|---------|--------------------------------------------------------|
 * | `ns=1;s=CNC_Cell_01`                        | Object  | the cell, under Objects                                |
 * | `ns=1;s=CNC_Cell_01.SpindleLoad`            | Double  | read-only, % (AnalogItem 0..150), rises with wear, ~200 ms |
 * | `ns=1;s=CNC_Cell_01.FeedRate`               | Double  | writable setpoint, mm/min (AnalogItem 0..5000), default 1200 |
 * | `ns=1;s=CNC_Cell_01.ToolWear`               | Double  | read-only, 0 (new tool) .. 1 (worn out)                |
 * | `ns=1;s=CNC_Cell_01.SpindleInterlock`       | Boolean | read-only: a write answers `BadNotWritable`            |
 * | `ns=1;s=CNC_Cell_01.MaintenanceMode`        | Boolean | anonymous writes answer `BadUserAccessDenied`; users with the Engineer role may write |
 * | `ns=1;s=CNC_Cell_01.FeedRate_AIChanged`     | Boolean | the HMI's AI flag: true while the AI made the last change (also `MaintenanceMode_…`) |
 * | `ns=1;s=CNC_Cell_01.FeedRate_AIChangedBy`   | String  | the model and command of that change; an operator's edit at the HMI clears both |
 * | `ns=1;s=CNC_Cell_01.ToolChange`             | Method  | a new tool: wear back to 0                              |
 * | `ns=1;s=CNC_Cell_01.Lock`                   | Object  | the cell's lock (OPC UA DI LockingServices style)      |
 * | `ns=1;s=CNC_Cell_01.Lock.Locked`            | Boolean | read-only; while true, setpoint writes answer `BadLocked` |
 * | `ns=1;s=CNC_Cell_01.Lock.LockingClient`     | String  | read-only; who holds the lock                          |
 *
 * The handle is the same control surface as the HTTP simulators (`RunningSimulator`): an ordered
 * ledger of the writes applied (a client write's external reference is its request header's
 * `auditEntryId`), fault injection (write latency, `BadCommunicationError` at an error rate,
 * connections dropped after a write was applied, revoked user credentials), an operator's hand edit,
 * a lock held by the operator console, record states (`closed` makes the setpoints read-only). It
 * adds a restart on the same port and going offline; `adminPort` offers the same over HTTP
 * (`/__admin/...`).
 *
 * @example
 * const cell = await startCncCellSimulator({ port: 18250 });
 * cell.operatorEdit('CNC_Cell_01', 'FeedRate', 1100);
 * await cell.restart();
 * await cell.close();
 */
export const CNC_CELL_NAMESPACE_URI = 'urn:loopgate:cnc-cell';

export const CNC_CELL_OBJECT = 'CNC_Cell_01';

export const CNC_CELL_NODE_IDS = {
  cell: 'ns=1;s=CNC_Cell_01',
  spindleLoad: 'ns=1;s=CNC_Cell_01.SpindleLoad',
  feedRate: 'ns=1;s=CNC_Cell_01.FeedRate',
  toolWear: 'ns=1;s=CNC_Cell_01.ToolWear',
  spindleInterlock: 'ns=1;s=CNC_Cell_01.SpindleInterlock',
  maintenanceMode: 'ns=1;s=CNC_Cell_01.MaintenanceMode',
  toolChange: 'ns=1;s=CNC_Cell_01.ToolChange',
  lock: 'ns=1;s=CNC_Cell_01.Lock',
  lockLocked: 'ns=1;s=CNC_Cell_01.Lock.Locked',
  lockingClient: 'ns=1;s=CNC_Cell_01.Lock.LockingClient',
} as const;

export const CNC_CELL_DEFAULT_PORT = 4840;

/** The user the simulator's generated (or `secret`) password belongs to. */
export const CNC_CELL_USER = 'loopgate';

/** The writable values of the cell. */
export type CncCellSetpoint = 'FeedRate' | 'MaintenanceMode';
const SETPOINTS: readonly string[] = ['FeedRate', 'MaintenanceMode'];

export interface CncCellUser {
  username: string;
  password: string;
}

/** The spindle-load sensor's report quality: OPC UA status severity and source-clock offset. */
export interface SensorQuality {
  status: 'good' | 'uncertain' | 'bad';
  sourceClockOffsetMs?: number;
}

/** The HMI's AI-changed flag of one setpoint (`<node>_AIChanged`, `<node>_AIChangedBy`). */
export interface HmiFlag {
  aiChanged: boolean;
  by: string;
}

export interface CncCellSimulatorOptions extends CncCellProcessOptions {
  /** OPC UA port; default 4840; 0 picks a free one. */
  port?: number;
  /** Interface to listen on and name in the endpoint URL; default 127.0.0.1. */
  host?: string;
  /** How often the process moves on (spindle load, wear), ms; default 200. */
  updateIntervalMs?: number;
  /** Password of the user `loopgate` (role Engineer); random when absent. */
  secret?: string;
  /** More users with the Engineer role. Anonymous sessions may read everything and write FeedRate. */
  users?: CncCellUser[];
  /** Port of the optional HTTP admin API; none when absent. */
  adminPort?: number;
  /** Folder of the server's certificates; default one shared folder under the OS temp dir. */
  pkiDir?: string;
}

export interface CncCellSimulator extends RunningSimulator {
  readonly endpointUrl: string;
  /** `http://host:adminPort/__admin` when `adminPort` was given. */
  readonly adminUrl?: string;
  readonly nodeIds: typeof CNC_CELL_NODE_IDS;
  state(): CncCellSnapshot;
  toolChange(): void;
  setToolWear(value: number): void;
  setSpindleInterlock(value: boolean): void;
  /** The MES downloads a recipe's feed rate to the machine: the cell runs at it (ledger: `recipe-download`). */
  downloadFeedRate(value: number, recipe: string): void;
  /** What the HMI shows next to a setpoint: whether the AI changed it last, and which model and command. */
  hmiFlag(parameter: CncCellSetpoint): HmiFlag;
  /**
   * How the spindle-load sensor reports from now on: its status (a failing or drifting sensor
   * reports Uncertain or Bad) and how far its source clock is from the true time (negative: the
   * value is old; positive: the source's clock runs ahead).
   */
  setSpindleLoadQuality(quality: SensorQuality): void;
  /** Shuts the OPC UA server down (sessions are lost) and starts it again on the same port. */
  restart(downtimeMs?: number): Promise<void>;
  /** Shuts the OPC UA server down; the cell's state and ledger are kept for `online()`. */
  offline(): Promise<void>;
  online(): Promise<void>;
}

/** Starts the CNC cell; resolves once clients can connect. */
export async function startCncCellSimulator(options: CncCellSimulatorOptions = {}): Promise<CncCellSimulator> {
  // A port the OS has free now: the server keeps it across restarts.
  const port = options.port === 0 ? await freePort(options.host ?? '127.0.0.1') : options.port;
  const cell = new CncCellSimulatorImpl(await loadNodeOpcua(), { ...options, port });
  await cell.start();
  return cell;
}

/** Requests counted as API requests (the session services a client uses), not channel or discovery ones. */
const COUNTED_REQUESTS = new Set([
  'ReadRequest',
  'WriteRequest',
  'CallRequest',
  'BrowseRequest',
  'TranslateBrowsePathsToNodeIdsRequest',
  'CreateSessionRequest',
  'ActivateSessionRequest',
]);

/** Subscribers are sampled at most this often (the values are getters, polled). */
const MIN_SAMPLING_MS = 100;

/** A client write waiting for its value to be applied: who sent it and with which reference. */
interface WriteOrigin {
  auditEntryId?: string;
  requestHandle: number;
  channel: { abruptlyInterrupt(): void };
}

class CncCellSimulatorImpl implements CncCellSimulator {
  readonly port: number;
  readonly endpointUrl: string;
  readonly url: string;
  readonly adminUrl?: string;
  readonly nodeIds = CNC_CELL_NODE_IDS;
  readonly secrets: readonly string[];
  readonly faults = new FaultHandle();
  private readonly host: string;
  private readonly users: CncCellUser[];
  private readonly ledgerStore = new SimLedger();
  private process: CncCellProcess;
  private lockHeld?: SimLock;
  private recordState: RecordState = 'open';
  private requests = 0;
  /** Client writes announced by their request, per node, in arrival order. */
  private readonly origins = new Map<string, WriteOrigin[]>();
  private setpointVariables: UAVariable[] = [];
  private server?: OPCUAServer;
  private admin?: Server;
  private ticker?: NodeJS.Timeout;
  private lastTick = Date.now();
  private readonly hmiFlags = new Map<CncCellSetpoint, HmiFlag>();
  private spindleLoadQuality: SensorQuality = { status: 'good' };

  constructor(
    private readonly ua: NodeOpcua,
    private readonly options: CncCellSimulatorOptions,
  ) {
    this.port = options.port ?? CNC_CELL_DEFAULT_PORT;
    this.host = options.host ?? '127.0.0.1';
    this.endpointUrl = `opc.tcp://${this.host}:${this.port}`;
    this.url = this.endpointUrl;
    if (options.adminPort !== undefined) this.adminUrl = `http://${this.host}:${options.adminPort}/__admin`;
    const secret = options.secret ?? randomBytes(16).toString('hex');
    this.secrets = [secret];
    this.users = [{ username: CNC_CELL_USER, password: secret }, ...(options.users ?? [])];
    this.process = new CncCellProcess(options);
  }

  async start(): Promise<void> {
    await this.online();
    this.lastTick = Date.now();
    this.ticker = setInterval(() => {
      const now = Date.now();
      this.process.advance(now - this.lastTick);
      this.lastTick = now;
    }, this.options.updateIntervalMs ?? 200);
    if (this.options.adminPort !== undefined) this.admin = await startAdmin(this, this.host, this.options.adminPort);
  }

  // --- the control surface shared with the HTTP simulators -------------------------------------

  ledger(): LedgerEntry[] {
    return this.ledgerStore.list();
  }

  onApplied(listener: (entry: LedgerEntry) => void): () => void {
    return this.ledgerStore.onAppend(listener);
  }

  operatorEdit(object: string, parameter: string, value: ParameterValue): void {
    this.checkObject(object);
    if (!SETPOINTS.includes(parameter))
      throw new SimHttpError(404, 'NotFound', `${object} has no setpoint ${parameter}`);
    if (typeof value !== (parameter === 'FeedRate' ? 'number' : 'boolean')) {
      throw new SimHttpError(
        400,
        'BadRequest',
        `${parameter} takes a ${parameter === 'FeedRate' ? 'number' : 'boolean'}`,
      );
    }
    this.apply(parameter as CncCellSetpoint, value, 'operator');
    // The HMI's own logic: a person's change clears the AI flag next to the setpoint.
    this.hmiFlags.set(parameter as CncCellSetpoint, { aiChanged: false, by: '' });
  }

  /**
   * The MES downloads a recipe's feed rate to the machine (the demo links Opcenter's recipe
   * parameter to the cell): the cell runs at it from now on; the HMI's AI flag is left as it is.
   */
  downloadFeedRate(value: number, recipe: string): void {
    if (!Number.isFinite(value) || value < 0) throw new SimHttpError(400, 'BadRequest', 'FeedRate takes a number ≥ 0');
    this.process.setFeedRate(value);
    this.ledgerStore.append({
      object: CNC_CELL_OBJECT,
      parameter: 'FeedRate',
      value,
      operation: 'recipe-download',
      source: 'api',
      externalRef: recipe,
    });
  }

  lock(object: string, holder = 'operator-console'): void {
    this.checkObject(object);
    this.lockHeld = { holder, token: randomUUID(), expiresAt: null };
  }

  unlock(object: string): void {
    this.checkObject(object);
    this.lockHeld = undefined;
  }

  setRecordState(object: string, state: RecordState): void {
    this.checkObject(object);
    if (!RECORD_STATES.includes(state)) throw new SimHttpError(400, 'BadRequest', `unknown record state ${state}`);
    this.recordState = state;
    this.applyAccessLevels();
  }

  reset(): void {
    this.process = new CncCellProcess(this.options);
    this.ledgerStore.clear();
    this.faults.clear();
    this.lockHeld = undefined;
    this.recordState = 'open';
    this.spindleLoadQuality = { status: 'good' };
    this.applyAccessLevels();
    this.origins.clear();
    this.hmiFlags.clear();
    this.requests = 0;
  }

  requestCount(): number {
    return this.requests;
  }

  // --- the CNC cell ---------------------------------------------------------------------------

  state(): CncCellSnapshot {
    return this.process.snapshot();
  }

  toolChange(): void {
    this.process.toolChange();
  }

  setToolWear(value: number): void {
    this.process.setToolWear(value);
  }

  setSpindleInterlock(value: boolean): void {
    this.process.setSpindleInterlock(value);
  }

  hmiFlag(parameter: CncCellSetpoint): HmiFlag {
    return { ...(this.hmiFlags.get(parameter) ?? { aiChanged: false, by: '' }) };
  }

  setSpindleLoadQuality(quality: SensorQuality): void {
    if (!['good', 'uncertain', 'bad'].includes(quality.status))
      throw new SimHttpError(400, 'BadRequest', `unknown sensor status ${String(quality.status)}`);
    this.spindleLoadQuality = { status: quality.status, sourceClockOffsetMs: quality.sourceClockOffsetMs ?? 0 };
  }

  async restart(downtimeMs = 0): Promise<void> {
    await this.offline();
    if (downtimeMs > 0) await new Promise((resolve) => setTimeout(resolve, downtimeMs));
    await this.online();
  }

  async offline(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.origins.clear();
    if (server) await server.shutdown(0);
  }

  async online(): Promise<void> {
    if (this.server) return;
    const { OPCUAServer, OPCUACertificateManager, makeRoles, WellKnownRoles } = this.ua;
    const server = new OPCUAServer({
      port: this.port,
      host: this.host,
      hostname: this.host,
      serverInfo: {
        applicationUri: CNC_CELL_NAMESPACE_URI,
        productUri: 'urn:loopgate:cnc-cell-simulator',
        applicationName: { text: 'Loopgate CNC cell simulator' },
      },
      serverCertificateManager: new OPCUACertificateManager({
        // One folder for every instance: node-opcua-pki serialises its use across processes.
        rootFolder: this.options.pkiDir ?? join(tmpdir(), 'loopgate-cnc-cell-pki'),
        automaticallyAcceptUnknownCertificate: true,
      }),
      allowAnonymous: true,
      userManager: {
        // Revoked credentials (fault `authFailure`) refuse every user; anonymous sessions have none to revoke.
        isValidUser: (username: string, password: string) =>
          !this.faults.current().authFailure &&
          this.users.some((u) => u.username === username && u.password === password),
        getUserRoles: () => makeRoles([WellKnownRoles.AuthenticatedUser, WellKnownRoles.Engineer]),
      },
    });
    await server.initialize();
    this.buildAddressSpace(server);
    server.on('request', (request, channel) => this.onRequest(server, request, channel));
    server.on('response', (response, channel) => this.onResponse(response, channel));
    await server.start();
    this.server = server;
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    const admin = this.admin;
    this.admin = undefined;
    if (admin) {
      await new Promise<void>((resolve) => {
        admin.close(() => resolve());
        admin.closeAllConnections();
      });
    }
    await this.offline();
  }

  // --- internals -------------------------------------------------------------------------------

  private checkObject(object: string): void {
    if (object !== CNC_CELL_OBJECT) throw new SimHttpError(404, 'NotFound', `no object ${object}`);
  }

  private locked(): boolean {
    return this.lockHeld !== undefined || this.recordState === 'locked';
  }

  private apply(
    parameter: CncCellSetpoint,
    value: ParameterValue,
    source: LedgerEntry['source'],
    externalRef?: string,
  ) {
    if (parameter === 'FeedRate') this.process.setFeedRate(value as number);
    else this.process.setMaintenanceMode(value as boolean);
    this.ledgerStore.append({
      object: CNC_CELL_OBJECT,
      parameter,
      value,
      operation: source === 'api' ? 'Write' : 'operator-edit',
      source,
      ...(externalRef ? { externalRef } : {}),
    });
  }

  /** Counts requests, notes who sends each write, and ends user sessions while credentials are revoked. */
  private onRequest(server: OPCUAServer, request: unknown, channel: unknown): void {
    const typed = request as {
      schema: { name: string };
      requestHeader?: { authenticationToken?: unknown; auditEntryId?: string | null; requestHandle?: number };
      nodesToWrite?: { nodeId: { toString(): string } }[];
    };
    const name = typed.schema.name;
    if (COUNTED_REQUESTS.has(name)) this.requests += 1;
    const token = typed.requestHeader?.authenticationToken;
    if (
      this.faults.current().authFailure &&
      token &&
      name !== 'CreateSessionRequest' &&
      name !== 'ActivateSessionRequest'
    ) {
      const session = server.engine.getSession(token as Parameters<typeof server.engine.getSession>[0]);
      const userName = (session?.userIdentityToken as { userName?: unknown } | undefined)?.userName;
      // Closed now, before the request is handled: the client gets BadSessionIdInvalid and must log in again.
      if (session && typeof userName === 'string')
        server.engine.closeSession(session.authenticationToken, true, 'Terminated');
    }
    if (name === 'WriteRequest') {
      for (const write of typed.nodesToWrite ?? []) {
        const key = write.nodeId.toString();
        const queue = this.origins.get(key) ?? [];
        queue.push({
          auditEntryId: typed.requestHeader?.auditEntryId ?? undefined,
          requestHandle: typed.requestHeader?.requestHandle ?? 0,
          channel: channel as WriteOrigin['channel'],
        });
        this.origins.set(key, queue);
      }
    }
  }

  /** A write answered without reaching the setpoint (refused by access checks): forget where it came from. */
  private onResponse(response: unknown, channel: unknown): void {
    const typed = response as { schema: { name: string }; responseHeader?: { requestHandle?: number } };
    if (typed.schema.name !== 'WriteResponse') return;
    const handle = typed.responseHeader?.requestHandle;
    for (const [key, queue] of this.origins) {
      this.origins.set(
        key,
        queue.filter((origin) => !(origin.channel === channel && origin.requestHandle === handle)),
      );
    }
  }

  /** A client write of a setpoint: refused while locked or failing, else applied, then acknowledged. */
  private clientWrite(parameter: CncCellSetpoint, nodeId: string) {
    const { StatusCodes } = this.ua;
    return (variant: Variant, callback: (err: Error | null, statusCode: StatusCode) => void): void => {
      const origin = this.origins.get(nodeId)?.shift();
      if (this.faults.shouldError()) return callback(null, StatusCodes.BadCommunicationError);
      if (this.locked()) return callback(null, StatusCodes.BadLocked);
      this.apply(parameter, variant.value as ParameterValue, 'api', origin?.auditEntryId);
      const acknowledge = () => {
        // A dropped connection: applied, but the client never hears so.
        if (this.faults.shouldDrop()) origin?.channel.abruptlyInterrupt();
        callback(null, StatusCodes.Good);
      };
      const { latencyMs } = this.faults.current();
      if (latencyMs > 0) setTimeout(acknowledge, latencyMs);
      else acknowledge();
    };
  }

  /** Setpoints are read-only while the record is audited or closed (frozen by change control). */
  private applyAccessLevels(): void {
    const { AccessLevelFlag } = this.ua;
    const frozen = this.recordState === 'audited' || this.recordState === 'closed';
    const level = frozen ? AccessLevelFlag.CurrentRead : AccessLevelFlag.CurrentRead | AccessLevelFlag.CurrentWrite;
    for (const variable of this.setpointVariables) {
      variable.accessLevel = level;
      variable.userAccessLevel = level;
    }
  }

  private buildAddressSpace(server: OPCUAServer): void {
    const {
      DataType,
      DataValue,
      PermissionType,
      StatusCodes,
      Variant,
      WellKnownRoles,
      makeEUInformation,
      standardUnits,
    } = this.ua;
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('OPC UA address space not initialised');
    const namespace = addressSpace.getOwnNamespace();
    const cell: UAObject = namespace.addObject({
      organizedBy: addressSpace.rootFolder.objects,
      browseName: CNC_CELL_OBJECT,
      nodeId: `s=${CNC_CELL_OBJECT}`,
      description: 'CNC machining cell 01',
    });
    /** A getter that answers BadCommunicationError while the fault's error rate says so. */
    const reading = (dataType: number, read: () => ParameterValue) => () =>
      this.faults.shouldError() ? StatusCodes.BadCommunicationError : new Variant({ dataType, value: read() });
    const snapshot = () => this.process.snapshot();

    namespace.addAnalogDataItem({
      componentOf: cell,
      browseName: 'SpindleLoad',
      nodeId: 's=CNC_Cell_01.SpindleLoad',
      dataType: 'Double',
      engineeringUnits: standardUnits.percent,
      engineeringUnitsRange: { low: 0, high: 150 },
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      minimumSamplingInterval: MIN_SAMPLING_MS,
      value: {
        // Stamped by the sensor: its status and its own clock, as set by setSpindleLoadQuality.
        timestamped_get: () => {
          const quality = this.spindleLoadQuality;
          const now = Date.now();
          if (this.faults.shouldError())
            return new DataValue({ statusCode: StatusCodes.BadCommunicationError, serverTimestamp: new Date(now) });
          return new DataValue({
            value: new Variant({ dataType: DataType.Double, value: snapshot().spindleLoad }),
            statusCode:
              quality.status === 'good'
                ? StatusCodes.Good
                : quality.status === 'uncertain'
                  ? StatusCodes.UncertainSensorNotAccurate
                  : StatusCodes.BadSensorFailure,
            sourceTimestamp: new Date(now + (quality.sourceClockOffsetMs ?? 0)),
            serverTimestamp: new Date(now),
          });
        },
      },
    });
    const feedRate = namespace.addAnalogDataItem({
      componentOf: cell,
      browseName: 'FeedRate',
      nodeId: 's=CNC_Cell_01.FeedRate',
      dataType: 'Double',
      engineeringUnits: makeEUInformation('H81', 'mm/min', 'millimetre per minute'),
      engineeringUnitsRange: { low: 0, high: 5000 },
      instrumentRange: { low: 0, high: 5000 },
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      minimumSamplingInterval: MIN_SAMPLING_MS,
      value: {
        get: reading(DataType.Double, () => snapshot().feedRate),
        set: this.clientWrite('FeedRate', CNC_CELL_NODE_IDS.feedRate),
      },
    });
    namespace.addAnalogDataItem({
      componentOf: cell,
      browseName: 'ToolWear',
      nodeId: 's=CNC_Cell_01.ToolWear',
      dataType: 'Double',
      engineeringUnitsRange: { low: 0, high: 1 },
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      minimumSamplingInterval: MIN_SAMPLING_MS,
      value: { get: reading(DataType.Double, () => snapshot().toolWear) },
    });
    namespace.addVariable({
      componentOf: cell,
      browseName: 'SpindleInterlock',
      nodeId: 's=CNC_Cell_01.SpindleInterlock',
      dataType: 'Boolean',
      description: 'Guard interlock; it lives in PLC logic and is never written from outside',
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      minimumSamplingInterval: MIN_SAMPLING_MS,
      value: { get: reading(DataType.Boolean, () => snapshot().spindleInterlock) },
    });
    const maintenanceMode = namespace.addVariable({
      componentOf: cell,
      browseName: 'MaintenanceMode',
      nodeId: 's=CNC_Cell_01.MaintenanceMode',
      dataType: 'Boolean',
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      minimumSamplingInterval: MIN_SAMPLING_MS,
      rolePermissions: [
        { roleId: WellKnownRoles.Anonymous, permissions: PermissionType.Browse | PermissionType.Read },
        {
          roleId: WellKnownRoles.Engineer,
          permissions: PermissionType.Browse | PermissionType.Read | PermissionType.Write,
        },
      ],
      value: {
        get: reading(DataType.Boolean, () => snapshot().maintenanceMode),
        set: this.clientWrite('MaintenanceMode', CNC_CELL_NODE_IDS.maintenanceMode),
      },
    });
    for (const setpoint of SETPOINTS as readonly CncCellSetpoint[]) {
      const flag = () => this.hmiFlags.get(setpoint) ?? { aiChanged: false, by: '' };
      const companion = (suffix: string, dataType: 'Boolean' | 'String', description: string) =>
        namespace.addVariable({
          componentOf: cell,
          browseName: `${setpoint}${suffix}`,
          nodeId: `s=${CNC_CELL_OBJECT}.${setpoint}${suffix}`,
          dataType,
          description,
          accessLevel: 'CurrentRead | CurrentWrite',
          userAccessLevel: 'CurrentRead | CurrentWrite',
          minimumSamplingInterval: MIN_SAMPLING_MS,
          value: {
            get: () =>
              suffix === '_AIChanged'
                ? new Variant({ dataType: DataType.Boolean, value: flag().aiChanged })
                : new Variant({ dataType: DataType.String, value: flag().by }),
            set: (variant: Variant) => {
              const current = flag();
              this.hmiFlags.set(
                setpoint,
                suffix === '_AIChanged'
                  ? { ...current, aiChanged: variant.value === true }
                  : { ...current, by: typeof variant.value === 'string' ? variant.value : '' },
              );
              return StatusCodes.Good;
            },
          },
        });
      companion('_AIChanged', 'Boolean', `The HMI's AI flag: true while the AI made the last change to ${setpoint}`);
      companion('_AIChangedBy', 'String', `Which model and command made the AI's last change to ${setpoint}`);
    }
    this.setpointVariables = [feedRate, maintenanceMode];
    this.applyAccessLevels();

    const lock = namespace.addObject({
      componentOf: cell,
      browseName: 'Lock',
      nodeId: 's=CNC_Cell_01.Lock',
      description: 'Who holds the cell; while locked, setpoint writes answer BadLocked',
    });
    namespace.addVariable({
      propertyOf: lock,
      browseName: 'Locked',
      nodeId: 's=CNC_Cell_01.Lock.Locked',
      dataType: 'Boolean',
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      minimumSamplingInterval: MIN_SAMPLING_MS,
      value: { get: () => new Variant({ dataType: DataType.Boolean, value: this.locked() }) },
    });
    namespace.addVariable({
      propertyOf: lock,
      browseName: 'LockingClient',
      nodeId: 's=CNC_Cell_01.Lock.LockingClient',
      dataType: 'String',
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      minimumSamplingInterval: MIN_SAMPLING_MS,
      value: {
        get: () =>
          new Variant({
            dataType: DataType.String,
            value: this.lockHeld?.holder ?? (this.recordState === 'locked' ? 'MES' : ''),
          }),
      },
    });

    const toolChange = namespace.addMethod(cell, {
      browseName: 'ToolChange',
      nodeId: 's=CNC_Cell_01.ToolChange',
      inputArguments: [],
      outputArguments: [],
    });
    // Two parameters: node-opcua tells its promise form from the callback form by arity.
    toolChange.bindMethod(async (_inputArguments: unknown, _context: unknown) => {
      this.process.toolChange();
      return { statusCode: StatusCodes.Good };
    });
  }
}

/** The optional HTTP admin API: the control surface of `sim-kit`'s `/__admin`, plus the cell's own. */
async function startAdmin(cell: CncCellSimulator, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    handleAdmin(cell, req, res).catch((err: unknown) => {
      const status = err instanceof SimHttpError ? err.status : 500;
      const code = err instanceof SimHttpError ? err.code : 'InternalError';
      sendJson(res, status, { error: { code, message: err instanceof Error ? err.message : String(err) } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

async function handleAdmin(cell: CncCellSimulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://admin').pathname;
  const route = `${req.method} ${path}`;
  const b = req.method === 'POST' ? await readJson(req) : {};
  const text = (field: string): string => {
    const value = b[field];
    if (typeof value !== 'string' || value.length === 0)
      throw new SimHttpError(400, 'BadRequest', `${field} is required`);
    return value;
  };
  switch (route) {
    case 'GET /__admin/state':
      return sendJson(res, 200, cell.state());
    case 'GET /__admin/ledger':
      return sendJson(res, 200, { entries: cell.ledger() });
    case 'GET /__admin/stats':
      return sendJson(res, 200, { requests: cell.requestCount(), applied: cell.ledger().length });
    case 'GET /__admin/faults':
      return sendJson(res, 200, cell.faults.current());
    case 'POST /__admin/faults':
      try {
        return sendJson(res, 200, cell.faults.set(b as Partial<FaultSettings>));
      } catch (error) {
        throw new SimHttpError(400, 'BadRequest', (error as Error).message);
      }
    case 'POST /__admin/operator-edit': {
      const value = b.value;
      if (typeof value !== 'number' && typeof value !== 'boolean')
        throw new SimHttpError(400, 'BadRequest', 'value is required');
      cell.operatorEdit(typeof b.object === 'string' ? b.object : CNC_CELL_OBJECT, text('parameter'), value);
      return sendJson(res, 200, cell.state());
    }
    case 'POST /__admin/lock':
      cell.lock(
        typeof b.object === 'string' ? b.object : CNC_CELL_OBJECT,
        typeof b.holder === 'string' ? b.holder : undefined,
      );
      return sendJson(res, 204, undefined);
    case 'POST /__admin/unlock':
      cell.unlock(typeof b.object === 'string' ? b.object : CNC_CELL_OBJECT);
      return sendJson(res, 204, undefined);
    case 'POST /__admin/record-state':
      cell.setRecordState(typeof b.object === 'string' ? b.object : CNC_CELL_OBJECT, text('state') as RecordState);
      return sendJson(res, 204, undefined);
    case 'POST /__admin/reset':
      cell.reset();
      return sendJson(res, 204, undefined);
    case 'POST /__admin/tool-change':
      cell.toolChange();
      return sendJson(res, 200, cell.state());
    case 'POST /__admin/process': {
      if (typeof b.toolWear === 'number') cell.setToolWear(b.toolWear);
      if (typeof b.spindleInterlock === 'boolean') cell.setSpindleInterlock(b.spindleInterlock);
      return sendJson(res, 200, cell.state());
    }
    case 'POST /__admin/sensor-quality':
      cell.setSpindleLoadQuality({
        status: text('status') as SensorQuality['status'],
        sourceClockOffsetMs: typeof b.sourceClockOffsetMs === 'number' ? b.sourceClockOffsetMs : 0,
      });
      return sendJson(res, 204, undefined);
    case 'GET /__admin/hmi':
      return sendJson(res, 200, {
        FeedRate: cell.hmiFlag('FeedRate'),
        MaintenanceMode: cell.hmiFlag('MaintenanceMode'),
      });
    case 'POST /__admin/restart':
      await cell.restart(typeof b.downtimeMs === 'number' ? b.downtimeMs : 0);
      return sendJson(res, 200, { restarted: true });
    default:
      throw new SimHttpError(404, 'NotFound', `no admin route ${route}`);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SimHttpError(400, 'BadRequest', `body is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SimHttpError(400, 'BadRequest', 'body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function numberFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a number`);
  return value;
}

/** How the registry, `npm run sim`, the contract suite and the bench start and address it. */
export const cncCellSimulatorDefinition: TargetSimulatorDefinition = {
  // Port 0 (the contract suite, the bench) picks a free port; `npm run sim -- opcua` uses 4840.
  // LOOPGATE_CNC_ADMIN_PORT adds the HTTP admin API; LOOPGATE_CNC_WEAR_PER_SECOND speeds up a demo.
  start: (options) =>
    startCncCellSimulator({
      port: options?.port ?? 0,
      secret: options?.secret,
      adminPort: numberFromEnv('LOOPGATE_CNC_ADMIN_PORT'),
      wearPerSecond: numberFromEnv('LOOPGATE_CNC_WEAR_PER_SECOND'),
    }),
  defaultPort: CNC_CELL_DEFAULT_PORT,
  connection: (sim, options) => ({
    endpointUrl: sim.url,
    namespaceUri: CNC_CELL_NAMESPACE_URI,
    username: CNC_CELL_USER,
    password: sim.secrets[0],
    healthNodeId: `nsu=${CNC_CELL_NAMESPACE_URI};s=CNC_Cell_01.SpindleLoad`,
    aiChangedFlag: true,
    ...(options?.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  }),
  sample: {
    simObject: CNC_CELL_OBJECT,
    simParameter: 'FeedRate',
    address: { object: { type: 'equipment', id: CNC_CELL_OBJECT }, parameter: 'FeedRate' },
    seeded: 1200,
    value: (i) => 1150 - (i % 500) * 0.5,
    write: (value, externalRef) => ({
      action: 'set-parameter',
      object: { type: 'equipment', id: CNC_CELL_OBJECT },
      parameter: 'FeedRate',
      value,
      externalRef,
      reason: 'tool wear compensation',
    }),
  },
};
