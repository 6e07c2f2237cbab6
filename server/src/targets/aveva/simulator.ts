import { randomBytes } from 'node:crypto';
import type { ParameterValue } from '@loopgate/contracts';
import {
  SimHttpError,
  SimEventLog,
  SimLedger,
  eventLogRoute,
  objectField,
  textField,
  SimObjectStore,
  startHttpSimulator,
  type HttpSimulator,
  type RecordState,
  type SimObject,
  type SimRequest,
  type SimResponse,
  type TargetSimulatorDefinition,
} from '../sim-kit';

/*
 * An AVEVA System Platform / MES stand-in. Galaxy objects (instances of a `$CNCCell` template) hold
 * attributes written with `PUT /api/galaxy/objects/{TagName}/attributes/{Attribute}`; every value
 * change, written or edited by hand, lands in the historian that feeds the reports
 * (`GET /Historian/v2/ProcessValues?$filter=FQN eq '…'`). Lots and work orders go through the MES
 * web API under `/api/mes/`. Callers authenticate with HTTP Basic.
 */

/** ArchestrA attribute data types the simulator knows. */
export type GalaxyDataType = 'Double' | 'Integer' | 'Boolean' | 'String';

/** ArchestrA security classifications; `ViewOnly` attributes refuse every runtime write. */
export type SecurityClassification = 'FreeAccess' | 'Operate' | 'Tune' | 'ViewOnly';

interface AttributeDefinition {
  dataType: GalaxyDataType;
  security: SecurityClassification;
}

/** The attributes of the `$CNCCell` template every cell object derives from. */
export const CNC_CELL_TEMPLATE: Readonly<Record<string, AttributeDefinition>> = {
  'FeedRate.SP': { dataType: 'Double', security: 'Tune' },
  'FeedRate.PV': { dataType: 'Double', security: 'ViewOnly' },
  'SpindleSpeed.SP': { dataType: 'Integer', security: 'Tune' },
  'Coolant.Cmd': { dataType: 'Boolean', security: 'Operate' },
  'SpindleInterlock.PV': { dataType: 'Boolean', security: 'ViewOnly' },
  ProgramName: { dataType: 'String', security: 'Operate' },
};

export const AVEVA_LOT_STATUSES = ['Available', 'Hold', 'Consumed'] as const;
export const AVEVA_WORK_ORDER_STATES = ['New', 'Ready', 'Running', 'Suspended', 'Complete', 'Cancelled'] as const;
const FINAL_WORK_ORDER_STATES = new Set(['Complete', 'Cancelled']);

/** One row of the historian: a value of a tag (`Object.Attribute`) at a time. */
export interface HistorianValue {
  FQN: string;
  DateTime: string;
  Value: ParameterValue;
  /** OPC quality; 192 is Good. */
  OpcQuality: number;
  /** `write` through the API, `operator` by hand at the InTouch HMI. */
  Source: 'write' | 'operator';
  User: string;
  Comment?: string;
}

export interface AvevaSimulatorOptions {
  port?: number;
  username?: string;
  /** The password accepted; random when absent. */
  secret?: string;
}

export interface AvevaSimulator extends HttpSimulator {
  readonly username: string;
  /** The historian's rows, oldest first. */
  history(fqn?: string): HistorianValue[];
}

const RECORD_STATE_NAMES: Record<RecordState, string> = {
  open: 'Open',
  locked: 'Locked',
  audited: 'Audited',
  closed: 'Closed',
};

function seed(): SimObject[] {
  const cell = (id: string, feedRate: number, spindleSpeed: number): SimObject => ({
    id,
    type: 'GalaxyObject',
    fields: {
      'FeedRate.SP': feedRate,
      'FeedRate.PV': feedRate,
      'SpindleSpeed.SP': spindleSpeed,
      'Coolant.Cmd': true,
      'SpindleInterlock.PV': true,
      ProgramName: 'OP20-BRACKET',
    },
    state: 'open',
  });
  const lot = (id: string, status: string): SimObject => ({
    id,
    type: 'Lot',
    fields: { Status: status, HoldReason: '' },
    state: 'open',
  });
  const workOrder = (id: string, state: string): SimObject => ({
    id,
    type: 'WorkOrder',
    fields: { State: state },
    state: 'open',
  });
  return [
    cell('CNC_Cell_01', 1200, 8000),
    cell('CNC_Cell_02', 1150, 7800),
    lot('LOT-4711', 'Available'),
    lot('LOT-4712', 'Available'),
    lot('LOT-4700', 'Consumed'),
    workOrder('WO-2001', 'Running'),
    workOrder('WO-2002', 'Ready'),
  ];
}

/** Parses the historian `$filter` subset: `FQN eq '…'` and `DateTime ge|gt|le|lt <ISO time>`, joined by `and`. */
export function parseHistorianFilter(filter: string): { fqn?: string; from?: number; to?: number } {
  const clause = /^\s*(?:FQN\s+eq\s+'((?:[^']|'')*)'|DateTime\s+(ge|gt|le|lt)\s+(\S+))\s*(?:and\s+|$)/;
  const out: { fqn?: string; from?: number; to?: number } = {};
  let rest = filter;
  while (rest.trim().length > 0) {
    const match = clause.exec(rest);
    if (!match) throw new SimHttpError(400, 'InvalidFilter', `unsupported $filter near: ${rest.slice(0, 40)}`);
    if (match[1] !== undefined) out.fqn = match[1].replace(/''/g, "'");
    else {
      const time = Date.parse(match[3]);
      if (Number.isNaN(time)) throw new SimHttpError(400, 'InvalidFilter', `not a time: ${match[3]}`);
      if (match[2] === 'ge') out.from = time;
      else if (match[2] === 'gt') out.from = time + 1;
      else if (match[2] === 'le') out.to = time;
      else out.to = time - 1;
    }
    rest = rest.slice(match[0].length);
  }
  return out;
}

function typeMatches(dataType: GalaxyDataType, value: unknown): value is ParameterValue {
  switch (dataType) {
    case 'Double':
      return typeof value === 'number' && Number.isFinite(value);
    case 'Integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'Boolean':
      return typeof value === 'boolean';
    case 'String':
      return typeof value === 'string';
  }
}

function bodyOf(request: SimRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SimHttpError(400, 'InvalidRequest', 'body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** Starts the AVEVA simulator on 127.0.0.1. */
export async function startAvevaSimulator(options: AvevaSimulatorOptions = {}): Promise<AvevaSimulator> {
  const username = options.username ?? 'svc-loopgate';
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const expectedAuthorization = `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
  const store = new SimObjectStore(seed);
  let historian: HistorianValue[] = [];
  let transactions = 0;
  const ledger = new SimLedger();
  const events = new SimEventLog();

  const historize = (
    fqn: string,
    value: ParameterValue,
    source: HistorianValue['Source'],
    user: string,
    comment?: string,
  ) => {
    historian.push({
      FQN: fqn,
      DateTime: new Date().toISOString(),
      Value: value,
      OpcQuality: 192,
      Source: source,
      User: user,
      ...(comment ? { Comment: comment } : {}),
    });
  };

  const nextTransaction = () => {
    transactions += 1;
    return `AVW-${String(transactions).padStart(7, '0')}`;
  };

  const objectOfType = (id: string, type: string, label: string): SimObject => {
    const object = store.find(id);
    if (!object || object.type !== type)
      throw new SimHttpError(404, `${label}NotFound`, `no ${label.toLowerCase()} ${id}`);
    return object;
  };

  /** A record a write may change: neither locked nor audited/closed. */
  const writable = (object: SimObject): SimObject => {
    const lock = store.activeLock(object.id);
    if (lock) throw new SimHttpError(423, 'ObjectLocked', `${object.id} is locked by ${lock.holder}`);
    if (object.state === 'locked') throw new SimHttpError(423, 'ObjectLocked', `${object.id} is locked`);
    if (store.isAudited(object.id)) {
      throw new SimHttpError(409, 'RecordClosed', `${object.id} is ${RECORD_STATE_NAMES[object.state].toLowerCase()}`);
    }
    return object;
  };

  const status = (object: SimObject) => ({
    lockedBy: store.activeLock(object.id)?.holder ?? null,
    recordState: RECORD_STATE_NAMES[object.state],
  });

  const attribute = (request: SimRequest) => {
    const object = objectOfType(request.params.tagName, 'GalaxyObject', 'Object');
    const name = request.params.attribute;
    const definition = CNC_CELL_TEMPLATE[name];
    if (!definition) throw new SimHttpError(404, 'AttributeNotFound', `${object.id} has no attribute ${name}`);
    return { object, name, definition };
  };

  const correlationOf = (request: SimRequest): { externalRef?: string } => {
    const header = request.headers['x-correlation-id'];
    return typeof header === 'string' && header.length > 0 ? { externalRef: header } : {};
  };

  const apply = (request: SimRequest, object: SimObject, field: string, value: ParameterValue, operation: string) => {
    const transactionId = nextTransaction();
    object.fields[field] = value;
    ledger.append({
      object: object.id,
      parameter: field,
      value,
      operation,
      source: 'api',
      transactionId,
      ...correlationOf(request),
    });
    return transactionId;
  };

  const readAttribute = (request: SimRequest): SimResponse => {
    const { object, name, definition } = attribute(request);
    return {
      status: 200,
      body: {
        reference: `${object.id}.${name}`,
        tagName: object.id,
        attribute: name,
        value: object.fields[name] ?? null,
        dataType: definition.dataType,
        security: definition.security,
        quality: 192,
        ...status(object),
      },
    };
  };

  const writeAttribute = (request: SimRequest): SimResponse => {
    const { object, name, definition } = attribute(request);
    const body = bodyOf(request);
    if (definition.security === 'ViewOnly') {
      throw new SimHttpError(403, 'AttributeNotWritable', `${object.id}.${name} is ViewOnly`);
    }
    if (!typeMatches(definition.dataType, body.value)) {
      throw new SimHttpError(400, 'TypeMismatch', `${object.id}.${name} is ${definition.dataType}`);
    }
    writable(object);
    const transactionId = apply(request, object, name, body.value, 'WriteAttribute');
    const comment = typeof body.comment === 'string' ? body.comment : undefined;
    historize(`${object.id}.${name}`, body.value, 'write', username, comment);
    return {
      status: 200,
      body: {
        reference: `${object.id}.${name}`,
        value: body.value,
        transactionId,
        timestamp: new Date().toISOString(),
      },
    };
  };

  const lotAction =
    (hold: boolean) =>
    (request: SimRequest): SimResponse => {
      const lot = writable(objectOfType(request.params.lotId, 'Lot', 'Lot'));
      if (lot.fields.Status === 'Consumed') throw new SimHttpError(409, 'LotConsumed', `lot ${lot.id} is consumed`);
      const reason = bodyOf(request).reason;
      lot.fields.HoldReason = hold && typeof reason === 'string' ? reason : '';
      const transactionId = apply(request, lot, 'Status', hold ? 'Hold' : 'Available', hold ? 'HoldLot' : 'ReleaseLot');
      return { status: 200, body: { lotId: lot.id, status: lot.fields.Status, transactionId } };
    };

  const setWorkOrderState = (request: SimRequest): SimResponse => {
    const workOrder = writable(objectOfType(request.params.woId, 'WorkOrder', 'WorkOrder'));
    const state = bodyOf(request).state;
    if (typeof state !== 'string' || !(AVEVA_WORK_ORDER_STATES as readonly string[]).includes(state)) {
      throw new SimHttpError(400, 'InvalidState', `state must be one of ${AVEVA_WORK_ORDER_STATES.join(', ')}`);
    }
    if (FINAL_WORK_ORDER_STATES.has(String(workOrder.fields.State))) {
      throw new SimHttpError(409, 'InvalidStateTransition', `work order ${workOrder.id} is ${workOrder.fields.State}`);
    }
    const transactionId = apply(request, workOrder, 'State', state, 'SetWorkOrderState');
    return { status: 200, body: { woId: workOrder.id, state, transactionId } };
  };

  const sim = await startHttpSimulator({
    name: 'aveva',
    port: options.port,
    store,
    ledger,
    events,
    secrets: [secret],
    authorize: (request) => request.headers.authorization === expectedAuthorization,
    onReset() {
      historian = [];
      transactions = 0;
    },
    onOperatorEdit(object, parameter, value) {
      const target = store.get(object);
      if (!(parameter in target.fields))
        throw new SimHttpError(404, 'AttributeNotFound', `${object} has no ${parameter}`);
      target.fields[parameter] = value;
      if (target.type === 'GalaxyObject') historize(`${object}.${parameter}`, value, 'operator', 'operator');
    },
    routes: [
      {
        method: 'GET',
        path: '/api/galaxy',
        handle: () => ({
          status: 200,
          body: { galaxy: 'Loopgate', objects: store.all('GalaxyObject').map((o) => o.id), status: 'Running' },
        }),
      },
      { method: 'GET', path: '/api/galaxy/objects/:tagName/attributes/:attribute', handle: readAttribute },
      {
        method: 'PUT',
        path: '/api/galaxy/objects/:tagName/attributes/:attribute',
        mutating: true,
        handle: writeAttribute,
      },
      {
        method: 'GET',
        path: '/Historian/v2/ProcessValues',
        handle(request) {
          const { fqn, from, to } = parseHistorianFilter(request.query.get('$filter') ?? '');
          const value = historian.filter((row) => {
            const time = Date.parse(row.DateTime);
            return (
              (fqn === undefined || row.FQN === fqn) &&
              (from === undefined || time >= from) &&
              (to === undefined || time <= to)
            );
          });
          return { status: 200, body: { '@odata.context': '$metadata#ProcessValues', value } };
        },
      },
      {
        method: 'GET',
        path: '/api/mes/lots/:lotId',
        handle(request) {
          const lot = objectOfType(request.params.lotId, 'Lot', 'Lot');
          return {
            status: 200,
            body: { lotId: lot.id, status: lot.fields.Status, holdReason: lot.fields.HoldReason, ...status(lot) },
          };
        },
      },
      { method: 'POST', path: '/api/mes/lots/:lotId/hold', mutating: true, handle: lotAction(true) },
      // AVEVA Historian events, unique per Id.
      eventLogRoute(events, 'POST', '/Historian/v2/Events', (body) => ({
        id: textField(body, 'Id'),
        type: textField(body, 'Type'),
        time: textField(body, 'EventTime'),
        summary: textField(body, 'Description'),
        data: objectField(body, 'Properties'),
      })),
      { method: 'POST', path: '/api/mes/lots/:lotId/release', mutating: true, handle: lotAction(false) },
      {
        method: 'GET',
        path: '/api/mes/workorders/:woId',
        handle(request) {
          const workOrder = objectOfType(request.params.woId, 'WorkOrder', 'WorkOrder');
          return { status: 200, body: { woId: workOrder.id, state: workOrder.fields.State, ...status(workOrder) } };
        },
      },
      { method: 'PUT', path: '/api/mes/workorders/:woId/state', mutating: true, handle: setWorkOrderState },
    ],
  });

  return Object.assign(sim, {
    username,
    history: (fqn?: string) =>
      historian.filter((row) => fqn === undefined || row.FQN === fqn).map((row) => ({ ...row })),
  });
}

/** How the registry, `npm run sim`, the contract suite and the bench start and address it. */
export const avevaSimulatorDefinition: TargetSimulatorDefinition = {
  start: (options) => startAvevaSimulator(options),
  connection: (sim, options) => ({
    baseUrl: sim.url,
    username: (sim as AvevaSimulator).username,
    password: sim.secrets[0],
    ...(options?.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  }),
  sample: {
    simObject: 'CNC_Cell_01',
    simParameter: 'FeedRate.SP',
    address: { object: { type: 'equipment', id: 'CNC_Cell_01' }, parameter: 'FeedRate.SP' },
    seeded: 1200,
    value: (i) => 1150 - (i % 500) * 0.5,
    write: (value, externalRef) => ({
      action: 'set-parameter',
      object: { type: 'equipment', id: 'CNC_Cell_01' },
      parameter: 'FeedRate.SP',
      value,
      externalRef,
      reason: 'tool wear compensation',
    }),
  },
};
