import { randomBytes } from 'node:crypto';
import type { ParameterValue } from '@loopgate/contracts';
import {
  SimEventLog,
  SimLedger,
  SimObjectStore,
  startHttpSimulator,
  type HttpSimulator,
  type SimObject,
  type SimRequest,
  type SimResponse,
  type TargetSimulatorDefinition,
} from '../sim-kit';

/*
 * A maintenance system (CMMS) stand-in in the style of IBM Maximo's object-structure REST API:
 * work orders under `/maximo/oslc/os/mxwo` (lean JSON), queried with `oslc.where`, created with a
 * POST carrying `externalrefid`, status changed with `?action=wsmethod:changeStatus`. Like Maximo it
 * does not refuse a second work order with the same `externalrefid`: finding the first one before a
 * retry is the client's job. Callers authenticate with the `apikey` header.
 */

export const MAXIMO_WORK_ORDER_STATUSES = [
  'WAPPR',
  'APPR',
  'WSCH',
  'WMATL',
  'WPCOND',
  'INPRG',
  'COMP',
  'CLOSE',
  'CAN',
] as const;
/** History records: Maximo sets `historyflag` and refuses changes. */
const HISTORY_STATUSES = new Set(['CLOSE', 'CAN']);

export const CMMS_SIM_SITE = 'BEDFORD';
const API = '/maximo/oslc';

/** Maximo's REST id of a work order: `_` + base64 of its unique key. */
export function maximoRestId(siteId: string, wonum: string): string {
  return `_${Buffer.from(`${siteId}/${wonum}`).toString('base64url')}`;
}

/** A failure answered in Maximo's error format: `{ Error: { reasonCode, message, statusCode } }`. */
class MaximoError extends Error {
  constructor(
    readonly status: number,
    readonly reasonCode: string,
    message: string,
  ) {
    super(`${reasonCode} - ${message}`);
  }
}

function answer(handle: (request: SimRequest) => SimResponse): (request: SimRequest) => SimResponse {
  return (request) => {
    try {
      return handle(request);
    } catch (error) {
      if (!(error instanceof MaximoError)) throw error;
      return {
        status: error.status,
        body: { Error: { reasonCode: error.reasonCode, message: error.message, statusCode: String(error.status) } },
      };
    }
  };
}

/** A work-log entry's long description, which Loopgate fills with the event as JSON text. */
function longDescription(text: string): Record<string, unknown> {
  try {
    const data = JSON.parse(text) as unknown;
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw new MaximoError(400, 'BMXAA4195E', 'description_longdescription must hold a JSON object');
}

/** The server's URL as the caller reached it, for `href`s. */
function baseUrlOf(request: SimRequest): string {
  return `http://${request.headers.host ?? '127.0.0.1'}`;
}

/** Parses the `oslc.where` subset the adapter sends: `attr="value"` clauses joined by `and`. */
export function parseOslcWhere(where: string): Record<string, string> {
  const clause = /^\s*([a-z][a-z0-9_]*)\s*=\s*"([^"]*)"\s*(?:and\s+|$)/i;
  const out: Record<string, string> = {};
  let rest = where;
  while (rest.trim().length > 0) {
    const match = clause.exec(rest);
    if (!match) throw new MaximoError(400, 'BMXAA9367E', `unsupported oslc.where near: ${rest.slice(0, 40)}`);
    out[match[1].toLowerCase()] = match[2];
    rest = rest.slice(match[0].length);
  }
  return out;
}

export interface CmmsSimulatorOptions {
  port?: number;
  /** The API key accepted; random when absent. */
  secret?: string;
}

export interface CmmsSimulator extends HttpSimulator {
  readonly siteId: string;
  /** Work orders whose `externalrefid` is `externalRef`. */
  workOrdersWithRef(externalRef: string): SimObject[];
}

function seed(): SimObject[] {
  const asset = (assetnum: string, description: string): SimObject => ({
    id: `asset:${assetnum}`,
    type: 'Asset',
    fields: { assetnum, siteid: CMMS_SIM_SITE, description, status: 'OPERATING' },
    state: 'open',
  });
  const workOrder = (
    wonum: string,
    workorderid: number,
    assetnum: string,
    status: string,
    description: string,
  ): SimObject => ({
    id: wonum,
    type: 'WorkOrder',
    fields: { wonum, workorderid, siteid: CMMS_SIM_SITE, assetnum, status, description, worktype: 'PM', wopriority: 3 },
    state: 'open',
  });
  return [
    asset('PUMP-101', 'Coolant pump, CNC cell 01'),
    asset('SPINDLE-CNC01', 'Main spindle, CNC cell 01'),
    asset('CONV-07', 'Infeed conveyor 07'),
    workOrder('1001', 5001, 'PUMP-101', 'WAPPR', 'Quarterly coolant pump inspection'),
    workOrder('1002', 5002, 'SPINDLE-CNC01', 'APPR', 'Spindle bearing vibration check'),
  ];
}

/** Starts the CMMS simulator on 127.0.0.1. */
export async function startCmmsSimulator(options: CmmsSimulatorOptions = {}): Promise<CmmsSimulator> {
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const store = new SimObjectStore(seed);
  let nextWonum = 1100;
  let nextWorkorderId = 6000;
  const ledger = new SimLedger();
  const events = new SimEventLog();

  const workOrders = () => store.all('WorkOrder');

  /** The lean JSON of a work order, as Maximo answers it. */
  const resource = (wo: SimObject, baseUrl: string) => {
    const status = String(wo.fields.status);
    const lock = store.activeLock(wo.id);
    return {
      href: `${baseUrl}${API}/os/mxwo/${maximoRestId(String(wo.fields.siteid), wo.id)}`,
      ...wo.fields,
      historyflag: HISTORY_STATUSES.has(status) || store.isAudited(wo.id),
      // Maximo has no lock API; sites that lock records add an attribute like this one.
      lockedby: lock?.holder ?? (wo.state === 'locked' ? 'MAXADMIN' : null),
    };
  };

  /** Keeps the properties `fields` (comma-separated, as `oslc.select` or the `properties` header) names. */
  const select = (record: Record<string, unknown>, fields: string | null | undefined) => {
    if (!fields || fields === '*') return record;
    const wanted = new Set(['href', ...fields.split(',').map((f) => f.trim().toLowerCase())]);
    return Object.fromEntries(Object.entries(record).filter(([key]) => wanted.has(key)));
  };

  const byRestId = (restId: string): SimObject => {
    const found = workOrders().find((wo) => maximoRestId(String(wo.fields.siteid), wo.id) === restId);
    if (!found) throw new MaximoError(404, 'BMXAA8727E', `the work order ${restId} does not exist`);
    return found;
  };

  const correlationOf = (request: SimRequest): { externalRef?: string } => {
    const header = request.headers['x-correlation-id'];
    return typeof header === 'string' && header.length > 0 ? { externalRef: header } : {};
  };

  const bodyOf = (request: SimRequest): Record<string, unknown> => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new MaximoError(400, 'BMXAA9362E', 'the request body must be a JSON object');
    }
    return body as Record<string, unknown>;
  };

  const required = (body: Record<string, unknown>, field: string): string => {
    const value = body[field];
    if (typeof value !== 'string' || value.length === 0)
      throw new MaximoError(400, 'BMXAA4195E', `${field} is required`);
    return value;
  };

  const query = answer((request) => {
    const where = parseOslcWhere(request.query.get('oslc.where') ?? '');
    const baseUrl = baseUrlOf(request);
    const member = workOrders()
      .map((wo) => resource(wo, baseUrl))
      .filter((record) =>
        Object.entries(where).every(([key, value]) => String(record[key as keyof typeof record]) === value),
      )
      .map((record) => select(record, request.query.get('oslc.select')));
    return { status: 200, body: { member, responseInfo: { totalCount: member.length } } };
  });

  const create = answer((request) => {
    const body = bodyOf(request);
    const siteid = required(body, 'siteid');
    const assetnum = required(body, 'assetnum');
    const asset = store.find(`asset:${assetnum}`);
    if (!asset || asset.fields.siteid !== siteid) {
      throw new MaximoError(400, 'BMXAA4153E', `asset ${assetnum} is not a valid asset in site ${siteid}`);
    }
    const wonum = String(nextWonum++);
    const fields: Record<string, ParameterValue | null> = {
      wonum,
      workorderid: nextWorkorderId++,
      siteid,
      assetnum,
      status: 'WAPPR',
      description: typeof body.description === 'string' ? body.description : '',
      worktype: typeof body.worktype === 'string' ? body.worktype : 'CM',
      wopriority: typeof body.wopriority === 'number' ? body.wopriority : 3,
      ...(typeof body.externalrefid === 'string' ? { externalrefid: body.externalrefid } : {}),
    };
    const wo = store.add({ id: wonum, type: 'WorkOrder', fields, state: 'open' });
    ledger.append({
      object: wonum,
      value: wonum,
      operation: 'CreateWorkOrder',
      source: 'api',
      transactionId: wonum,
      ...(typeof body.externalrefid === 'string' ? { externalRef: body.externalrefid } : {}),
    });
    const record = resource(wo, baseUrlOf(request));
    // Maximo answers 201 with the new resource's Location; the body only when `properties` asks for it.
    const properties = request.headers.properties;
    return {
      status: 201,
      headers: { location: record.href },
      ...(typeof properties === 'string' ? { body: select(record, properties) } : {}),
    };
  });

  const changeStatus = answer((request) => {
    if (request.headers['x-method-override'] !== 'PATCH' || request.query.get('action') !== 'wsmethod:changeStatus') {
      throw new MaximoError(400, 'BMXAA9549E', 'expected x-method-override: PATCH and action=wsmethod:changeStatus');
    }
    const wo = byRestId(request.params.restId);
    const status = required(bodyOf(request), 'status');
    if (!(MAXIMO_WORK_ORDER_STATUSES as readonly string[]).includes(status)) {
      throw new MaximoError(400, 'BMXAA4192E', `${status} is not a valid work order status`);
    }
    if (store.activeLock(wo.id) || wo.state === 'locked') {
      throw new MaximoError(409, 'BMXAA8229W', `work order ${wo.id} has been updated by another user`);
    }
    const current = String(wo.fields.status);
    if (store.isAudited(wo.id) || HISTORY_STATUSES.has(current)) {
      throw new MaximoError(400, 'BMXAA4590E', `work order ${wo.id} is a history record and cannot be changed`);
    }
    if (current === 'COMP' && status !== 'CLOSE') {
      throw new MaximoError(400, 'BMXAA4590E', `work order ${wo.id} is complete; it can only be closed`);
    }
    wo.fields.status = status;
    ledger.append({
      object: wo.id,
      parameter: 'status',
      value: status,
      operation: 'ChangeStatus',
      source: 'api',
      transactionId: `${wo.id}:${ledger.list().length + 1}`,
      ...correlationOf(request),
    });
    return { status: 204 };
  });

  const sim = await startHttpSimulator({
    name: 'cmms',
    port: options.port,
    store,
    ledger,
    events,
    secrets: [secret],
    authorize: (request) => request.headers.apikey === secret,
    onReset() {
      nextWonum = 1100;
      nextWorkorderId = 6000;
    },
    routes: [
      {
        method: 'GET',
        path: `${API}/whoami`,
        handle: () => ({ status: 200, body: { userName: 'LOOPGATE', defaultSite: CMMS_SIM_SITE } }),
      },
      { method: 'GET', path: `${API}/os/mxwo`, handle: query },
      { method: 'POST', path: `${API}/os/mxwo`, mutating: true, handle: create },
      // The work log (Maximo's WORKLOG object structure), unique per external record id.
      {
        method: 'POST',
        path: `${API}/os/mxworklog`,
        mutating: true,
        eventLog: true,
        handle: answer((request) => {
          const body = request.body;
          if (typeof body !== 'object' || body === null || Array.isArray(body))
            throw new MaximoError(400, 'BMXAA9362E', 'the request body must be a JSON object');
          const b = body as Record<string, unknown>;
          const required = (name: string): string => {
            const value = b[name];
            if (typeof value !== 'string' || value.length === 0)
              throw new MaximoError(400, 'BMXAA4195E', `${name} is required`);
            return value;
          };
          const id = required('externalrefid');
          const recorded = events.record({
            id,
            type: required('logtype'),
            time: required('createdate'),
            summary: required('description'),
            data: longDescription(required('description_longdescription')),
          });
          if (!recorded) throw new MaximoError(400, 'BMXAA4129E', `a work log entry with externalrefid ${id} exists`);
          return { status: 201, body: { externalrefid: id } };
        }),
      },
      {
        method: 'GET',
        path: `${API}/os/mxwo/:restId`,
        handle: answer((request) => {
          const record = resource(byRestId(request.params.restId), baseUrlOf(request));
          return { status: 200, body: select(record, request.query.get('oslc.select')) };
        }),
      },
      { method: 'POST', path: `${API}/os/mxwo/:restId`, mutating: true, handle: changeStatus },
    ],
  });

  return Object.assign(sim, {
    siteId: CMMS_SIM_SITE,
    workOrdersWithRef: (externalRef: string) => workOrders().filter((wo) => wo.fields.externalrefid === externalRef),
  });
}

const SAMPLE_WORK_ORDER = { type: 'work-order' as const, id: '1001' };
const SAMPLE_STATUSES = ['APPR', 'WSCH', 'WMATL', 'INPRG'] as const;

/** How the registry, `npm run sim`, the contract suite and the bench start and address it. */
export const cmmsSimulatorDefinition: TargetSimulatorDefinition = {
  start: (options) => startCmmsSimulator(options),
  connection: (sim, options) => ({
    baseUrl: sim.url,
    siteId: CMMS_SIM_SITE,
    apiKey: sim.secrets[0],
    ...(options?.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  }),
  sample: {
    simObject: '1001',
    simParameter: 'status',
    address: { object: SAMPLE_WORK_ORDER, parameter: 'status' },
    seeded: 'WAPPR',
    value: (i) => SAMPLE_STATUSES[i % SAMPLE_STATUSES.length],
    write: (value, externalRef) => ({
      action: 'update-work-order-status',
      object: SAMPLE_WORK_ORDER,
      parameter: 'status',
      value,
      externalRef,
      reason: 'planner approval from the maintenance model',
    }),
    create: (externalRef) => ({
      action: 'create-maintenance-work-order',
      object: { type: 'equipment', id: 'PUMP-101' },
      externalRef,
      reason: 'MTBF pattern suggests imminent bearing failure',
      details: { description: 'Replace coolant pump bearing', priority: 2 },
    }),
  },
};
