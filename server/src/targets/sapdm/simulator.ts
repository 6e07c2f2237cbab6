import { randomBytes } from 'node:crypto';
import {
  SimHttpError,
  SimLedger,
  SimObjectStore,
  SimTokenIssuer,
  startHttpSimulator,
  type HttpSimulator,
  type SimObject,
  type SimRequest,
  type SimResponse,
  type TargetSimulatorDefinition,
} from '../sim-kit';

/*
 * An SAP Digital Manufacturing stand-in in the style of its public REST APIs, for one plant:
 * client-credentials tokens from the subaccount's `/oauth/token`; SFCs (the lots and units in
 * production) read with `GET /sfc/v1/sfcdetail`, put on hold and released with
 * `POST /sfc/v1/sfcs/hold|release`; production orders read with `GET /order/v1/orders` and their
 * execution status set with `POST /order/v1/orders/status`; nonconformances logged on SFCs with
 * `POST /nonconformance/v2/log` and listed by `referenceId`. Like the real system it does not refuse
 * a second nonconformance with the same reference: finding the first before a retry is the
 * client's job. An SFC or order someone works on at a resource answers `SfcInWork`/`OrderInWork`
 * (409); done, scrapped and closed records refuse changes.
 */

export const SAPDM_SIM_PLANT = '1710';
export const SFC_STATUSES = ['NEW', 'IN_QUEUE', 'ACTIVE', 'HOLD', 'DONE', 'SCRAPPED'] as const;
export const ORDER_STATUSES = ['RELEASABLE', 'RELEASED', 'ACTIVE', 'HOLD', 'DONE', 'CLOSED'] as const;
const HISTORY = new Set(['DONE', 'SCRAPPED', 'CLOSED']);

export interface SapDmSimulatorOptions {
  port?: number;
  /** The client secret accepted; random when absent. */
  secret?: string;
  clientId?: string;
}

export interface SapDmSimulator extends HttpSimulator {
  readonly plant: string;
  readonly clientId: string;
  /** Nonconformances logged with `referenceId`. */
  nonconformancesWithRef(referenceId: string): SimObject[];
  revokeTokens(): void;
}

function seed(): SimObject[] {
  const sfc = (id: string, status: string, material: string): SimObject => ({
    id,
    type: 'Sfc',
    fields: { sfc: id, plant: SAPDM_SIM_PLANT, status, material, quantity: 1 },
    state: 'open',
  });
  const order = (id: string, executionStatus: string, material: string): SimObject => ({
    id,
    type: 'Order',
    fields: { order: id, plant: SAPDM_SIM_PLANT, executionStatus, material, quantity: 50 },
    state: 'open',
  });
  return [
    sfc('SFC-1710-0001', 'IN_QUEUE', 'HOUSING-A'),
    sfc('SFC-1710-0002', 'ACTIVE', 'HOUSING-A'),
    sfc('SFC-1710-0003', 'DONE', 'HOUSING-A'),
    order('SO-1001', 'RELEASABLE', 'HOUSING-A'),
    order('SO-1002', 'RELEASED', 'HOUSING-B'),
  ];
}

const bodyOf = (request: SimRequest): Record<string, unknown> => {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new SimHttpError(400, 'InvalidRequest', 'the request body must be a JSON object');
  return body as Record<string, unknown>;
};

const textOf = (body: Record<string, unknown>, field: string): string => {
  const value = body[field];
  if (typeof value !== 'string' || value.length === 0)
    throw new SimHttpError(400, 'InvalidRequest', `${field} is required`);
  return value;
};

/** The one SFC of a hold, release or nonconformance body (`sfcs: [sfc]`). */
const oneSfc = (body: Record<string, unknown>): string => {
  const sfcs = body.sfcs;
  if (!Array.isArray(sfcs) || sfcs.length !== 1 || typeof sfcs[0] !== 'string')
    throw new SimHttpError(400, 'InvalidRequest', 'sfcs must name one SFC');
  return sfcs[0];
};

/** Starts the SAP Digital Manufacturing simulator on 127.0.0.1. */
export async function startSapDmSimulator(options: SapDmSimulatorOptions = {}): Promise<SapDmSimulator> {
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const clientId = options.clientId ?? 'sb-loopgate';
  const store = new SimObjectStore(seed);
  const ledger = new SimLedger();
  const tokens = new SimTokenIssuer(clientId, secret);
  let incidents = 0;

  const plantOf = (request: SimRequest, body?: Record<string, unknown>): void => {
    const plant = body?.plant ?? request.query.get('plant');
    if (plant !== SAPDM_SIM_PLANT)
      throw new SimHttpError(400, 'PlantNotFound', `plant ${String(plant)} does not exist`);
  };
  const find = (type: 'Sfc' | 'Order', id: string | null): SimObject => {
    const found = id ? store.find(id) : undefined;
    if (!found || found.type !== type)
      throw new SimHttpError(
        404,
        `${type}NotFound`,
        `${type === 'Sfc' ? 'SFC' : 'order'} ${String(id)} does not exist`,
      );
    return found;
  };
  const status = (object: SimObject): string =>
    String(object.type === 'Sfc' ? object.fields.status : object.fields.executionStatus);
  const lockedBy = (object: SimObject): string | null =>
    store.activeLock(object.id)?.holder ?? (object.state === 'locked' ? 'PRODUCTION_OPERATOR' : null);
  const modifiable = (object: SimObject): boolean => !store.isAudited(object.id) && !HISTORY.has(status(object));
  /** Refuses a change to a record someone works on, or to history. */
  const changeable = (object: SimObject): void => {
    const prefix = object.type === 'Sfc' ? 'Sfc' : 'Order';
    if (lockedBy(object))
      throw new SimHttpError(409, `${prefix}InWork`, `${object.id} is in work by ${lockedBy(object)}`);
    if (!modifiable(object)) throw new SimHttpError(400, `${prefix}NotModifiable`, `${object.id} is ${status(object)}`);
  };
  const view = (object: SimObject) => ({
    ...object.fields,
    lockedBy: lockedBy(object),
    modifiable: modifiable(object),
  });

  const hold =
    (on: boolean) =>
    (request: SimRequest): SimResponse => {
      const body = bodyOf(request);
      plantOf(request, body);
      const sfc = find('Sfc', oneSfc(body));
      changeable(sfc);
      if (on && sfc.fields.status === 'HOLD') throw new SimHttpError(400, 'SfcAlreadyOnHold', `${sfc.id} is on hold`);
      if (!on && sfc.fields.status !== 'HOLD') throw new SimHttpError(400, 'SfcNotOnHold', `${sfc.id} is not on hold`);
      // A released SFC goes back into the queue of its current operation.
      sfc.fields.status = on ? 'HOLD' : 'IN_QUEUE';
      ledger.append({
        object: sfc.id,
        parameter: 'status',
        value: sfc.fields.status,
        operation: on ? 'HoldSfc' : 'ReleaseSfc',
        source: 'api',
        transactionId: `${sfc.id}:${ledger.list().length + 1}`,
        ...(typeof body.referenceId === 'string' ? { externalRef: body.referenceId } : {}),
      });
      return { status: 200, body: { sfcs: [view(sfc)] } };
    };

  const setOrderStatus = (request: SimRequest): SimResponse => {
    const body = bodyOf(request);
    plantOf(request, body);
    const order = find('Order', textOf(body, 'order'));
    const next = textOf(body, 'executionStatus');
    if (!(ORDER_STATUSES as readonly string[]).includes(next))
      throw new SimHttpError(400, 'InvalidStatus', `${next} is not an order execution status`);
    changeable(order);
    order.fields.executionStatus = next;
    ledger.append({
      object: order.id,
      parameter: 'executionStatus',
      value: next,
      operation: 'SetOrderStatus',
      source: 'api',
      transactionId: `${order.id}:${ledger.list().length + 1}`,
      ...(typeof body.referenceId === 'string' ? { externalRef: body.referenceId } : {}),
    });
    return { status: 200, body: view(order) };
  };

  const logNonconformance = (request: SimRequest): SimResponse => {
    const body = bodyOf(request);
    plantOf(request, body);
    const sfc = find('Sfc', oneSfc(body));
    const code = textOf(body, 'code');
    incidents += 1;
    const incidentNumber = `NC-${String(incidents).padStart(6, '0')}`;
    const referenceId = typeof body.referenceId === 'string' ? body.referenceId : undefined;
    const nc = store.add({
      id: `nc:${incidentNumber}`,
      type: 'Nonconformance',
      fields: {
        id: incidentNumber.toLowerCase(),
        incidentNumber,
        sfc: sfc.id,
        code,
        comment: typeof body.comment === 'string' ? body.comment : '',
        ...(referenceId ? { referenceId } : {}),
      },
      state: 'open',
    });
    ledger.append({
      object: sfc.id,
      value: incidentNumber,
      operation: 'LogNonconformance',
      source: 'api',
      transactionId: incidentNumber,
      ...(referenceId ? { externalRef: referenceId } : {}),
    });
    return { status: 201, body: { incidentNumber, nonconformances: [nc.fields] } };
  };

  const sim = await startHttpSimulator({
    name: 'sapdm',
    port: options.port,
    store,
    ledger,
    secrets: [secret],
    authorize: (request) => tokens.authorize(request),
    onReset() {
      incidents = 0;
    },
    routes: [
      { method: 'POST', path: '/oauth/token', public: true, handle: tokens.issue },
      {
        method: 'GET',
        path: '/plant/v1/plants',
        handle: (request) => {
          plantOf(request);
          return { status: 200, body: [{ plant: SAPDM_SIM_PLANT, description: 'Loopgate demo plant' }] };
        },
      },
      {
        method: 'GET',
        path: '/sfc/v1/sfcdetail',
        handle: (request) => {
          plantOf(request);
          return { status: 200, body: view(find('Sfc', request.query.get('sfc'))) };
        },
      },
      { method: 'POST', path: '/sfc/v1/sfcs/hold', mutating: true, handle: hold(true) },
      { method: 'POST', path: '/sfc/v1/sfcs/release', mutating: true, handle: hold(false) },
      {
        method: 'GET',
        path: '/order/v1/orders',
        handle: (request) => {
          plantOf(request);
          return { status: 200, body: view(find('Order', request.query.get('order'))) };
        },
      },
      { method: 'POST', path: '/order/v1/orders/status', mutating: true, handle: setOrderStatus },
      { method: 'POST', path: '/nonconformance/v2/log', mutating: true, handle: logNonconformance },
      {
        method: 'GET',
        path: '/nonconformance/v2/nonconformances',
        handle: (request) => {
          plantOf(request);
          const referenceId = request.query.get('referenceId');
          const list = store
            .all('Nonconformance')
            .filter((nc) => referenceId === null || nc.fields.referenceId === referenceId)
            .map((nc) => nc.fields);
          return { status: 200, body: list };
        },
      },
    ],
  });

  return Object.assign(sim, {
    plant: SAPDM_SIM_PLANT,
    clientId,
    nonconformancesWithRef: (referenceId: string) =>
      store.all('Nonconformance').filter((nc) => nc.fields.referenceId === referenceId),
    revokeTokens: () => tokens.revoke(),
  });
}

const SAMPLE_ORDER = { type: 'work-order' as const, id: 'SO-1001' };
const SAMPLE_STATUSES = ['RELEASED', 'ACTIVE', 'HOLD'] as const;

/** How the registry, `npm run sim`, the contract suite and the bench start and address it. */
export const sapDmSimulatorDefinition: TargetSimulatorDefinition = {
  start: (options) => startSapDmSimulator(options),
  connection: (sim, options) => ({
    baseUrl: sim.url,
    tokenUrl: `${sim.url}/oauth/token`,
    clientId: 'sb-loopgate',
    clientSecret: sim.secrets[0],
    plant: SAPDM_SIM_PLANT,
    ...(options?.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  }),
  sample: {
    simObject: 'SO-1001',
    simParameter: 'executionStatus',
    address: { object: SAMPLE_ORDER, parameter: 'status' },
    seeded: 'RELEASABLE',
    value: (i) => SAMPLE_STATUSES[i % SAMPLE_STATUSES.length],
    write: (value, externalRef) => ({
      action: 'update-work-order-status',
      object: SAMPLE_ORDER,
      value,
      externalRef,
      reason: 'scheduling model: start the order on the free line',
    }),
    create: (externalRef) => ({
      action: 'create-quality-event',
      object: { type: 'material-lot', id: 'SFC-1710-0001' },
      externalRef,
      reason: 'vision model: surface porosity above the limit',
      details: { description: 'Porosity on housing face B', code: 'POROSITY' },
    }),
  },
};
