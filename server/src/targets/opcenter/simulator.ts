import { randomBytes } from 'node:crypto';
import type { ParameterValue } from '@loopgate/contracts';
import {
  SimHttpError,
  SimEventLog,
  SimLedger,
  SimObjectStore,
  SimTokenIssuer,
  startHttpSimulator,
  type HttpSimulator,
  type RecordState,
  type SimObject,
  type SimRequest,
  type SimResponse,
  type TargetSimulatorDefinition,
} from '../sim-kit';

/*
 * A Siemens Opcenter Execution stand-in: client-credentials tokens, OData queries and MOM commands.
 * Its transaction queue behaves as the seed describes: above the configured rate it acknowledges
 * commands with a transaction id and silently never applies them.
 */

export interface OpcenterSimulatorOptions {
  port?: number;
  app?: string;
  clientId?: string;
  /** The client secret accepted; random when absent. */
  secret?: string;
  /** Rate the MOM queue drains at (default 20/s). */
  transactionsPerSecond?: number;
  /** Commands the queue holds before it silently drops the excess (default: one second's worth). */
  queueDepth?: number;
  tokenTtlSeconds?: number;
}

export interface OpcenterSimulator extends HttpSimulator {
  readonly app: string;
  readonly clientId: string;
  /** Commands acknowledged but dropped by the throttled queue since the last reset. */
  throttledCount(): number;
  /** Invalidates every issued token, as a server restart or key rotation does. */
  revokeTokens(): void;
  tokenRequests(): number;
}

export const OPCENTER_SIM_APP = 'OpcenterEXDS';
export const OPCENTER_WORK_CENTERS = ['CELL-A', 'CELL-B', 'CELL-C'] as const;
export const OPCENTER_WORK_ORDER_STATUSES = ['Released', 'InProgress', 'Hold', 'Completed', 'Aborted'] as const;

const RECORD_STATUS: Record<RecordState, string> = {
  open: 'Open',
  locked: 'Locked',
  audited: 'Audited',
  closed: 'Closed',
};

function seed(): SimObject[] {
  const recipe = (id: string, fields: Record<string, ParameterValue>): SimObject => ({
    id,
    type: 'Recipe',
    fields,
    state: 'open',
  });
  const workOrder = (id: string, status: string, workCenter: string): SimObject => ({
    id,
    type: 'WorkOrder',
    fields: { Status: status, WorkCenter: workCenter },
    state: 'open',
  });
  const lot = (id: string): SimObject => ({ id, type: 'MaterialLot', fields: { Status: 'Active' }, state: 'open' });
  return [
    recipe('CNC-01/OP20', { FeedRate: 1200, SpindleSpeed: 8000, CoolantOn: true }),
    // The live demo's CNC cell (the OPC UA simulator's CNC_Cell_01) runs operation OP20 of this recipe.
    recipe('CNC_Cell_01/OP20', { FeedRate: 1200, SpindleSpeed: 8000, CoolantOn: true }),
    recipe('CNC-02/OP20', { FeedRate: 1150, SpindleSpeed: 7800, CoolantOn: true }),
    workOrder('WO-1001', 'InProgress', 'CELL-B'),
    workOrder('WO-1002', 'Released', 'CELL-B'),
    workOrder('WO-1003', 'Released', 'CELL-B'),
    lot('LOT-4711'),
    lot('LOT-4712'),
  ];
}

/** Parses the `$filter` subset the adapter sends: `Field eq 'text'` joined by `and`. */
export function parseODataFilter(filter: string): Record<string, string> {
  const clause = /^\s*([A-Za-z][A-Za-z0-9]*)\s+eq\s+'((?:[^']|'')*)'\s*(?:and\s+|$)/;
  const out: Record<string, string> = {};
  let rest = filter;
  while (rest.trim().length > 0) {
    const match = clause.exec(rest);
    if (!match) throw new SimHttpError(400, 'InvalidFilter', `unsupported $filter near: ${rest.slice(0, 40)}`);
    out[match[1]] = match[2].replace(/''/g, "'");
    rest = rest.slice(match[0].length);
  }
  return out;
}

function field(command: Record<string, unknown>, name: string): string {
  const value = command[name];
  if (typeof value !== 'string' || value.length === 0)
    throw new SimHttpError(400, 'InvalidCommand', `${name} is required`);
  return value;
}

/** Starts the Opcenter simulator on 127.0.0.1. */
export async function startOpcenterSimulator(options: OpcenterSimulatorOptions = {}): Promise<OpcenterSimulator> {
  const app = options.app ?? OPCENTER_SIM_APP;
  const clientId = options.clientId ?? 'loopgate';
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const rate = options.transactionsPerSecond ?? 20;
  const depth = options.queueDepth ?? rate;
  const store = new SimObjectStore(seed);
  const ledger = new SimLedger();
  const events = new SimEventLog();
  /** The reason of each process parameter's last change through the bus, as Opcenter's screens show it. */
  const reasons = new Map<string, string>();
  const tokens = new SimTokenIssuer(clientId, secret, options.tokenTtlSeconds);
  let transactions = 0;
  let qualityEvents = 0;
  // The MOM queue as a leaky bucket: each command adds one, it drains at `rate` per second.
  let level = 0;
  let drainedAt = Date.now();
  let throttled = 0;

  const admitted = (): boolean => {
    const now = Date.now();
    level = Math.max(0, level - ((now - drainedAt) / 1000) * rate);
    drainedAt = now;
    if (level + 1 > depth) return false;
    level += 1;
    return true;
  };

  const row = (object: SimObject) => ({
    Id: object.id,
    NId: object.id,
    ...object.fields,
    IsLocked: store.isLocked(object.id),
    RecordStatus: RECORD_STATUS[object.state],
  });

  const entitySets: Record<string, () => Record<string, unknown>[]> = {
    ProcessParameters: () =>
      store.all('Recipe').flatMap((recipe) =>
        Object.entries(recipe.fields).map(([name, value]) => ({
          Id: `${recipe.id}/${name}`,
          RecipeId: recipe.id,
          Name: name,
          Value: value,
          LastChangeReason: reasons.get(`${recipe.id}/${name}`) ?? null,
          IsLocked: store.isLocked(recipe.id),
          RecordStatus: RECORD_STATUS[recipe.state],
        })),
      ),
    WorkOrders: () => store.all('WorkOrder').map(row),
    MaterialLots: () => store.all('MaterialLot').map(row),
    QualityEvents: () => store.all('QualityEvent').map((qe) => ({ Id: qe.id, ...qe.fields })),
    // The custom event type a site declares for Loopgate in its Opcenter model.
    CustomEvents: () =>
      events.list().map((e) => ({
        Id: `CE-${String(e.sequence).padStart(6, '0')}`,
        NId: e.id,
        EventType: e.type,
        OccurredAt: e.time,
        Description: e.summary,
        Payload: JSON.stringify(e.data),
        ReceivedAt: e.receivedAt,
      })),
  };

  const checkApp = (request: SimRequest) => {
    if (request.params.app !== app) throw new SimHttpError(404, 'NotFound', `no application ${request.params.app}`);
  };

  /** A record the command may change: not locked, not audited or closed. */
  const writable = (id: string, type: string): SimObject => {
    const object = store.get(id);
    if (object.type !== type) throw new SimHttpError(404, 'NotFound', `no ${type} ${id}`);
    if (store.isLocked(id)) throw new SimHttpError(409, 'RecordLocked', `${type} ${id} is locked`);
    if (store.isAudited(id)) throw new SimHttpError(409, 'RecordClosed', `${type} ${id} is ${object.state}`);
    return object;
  };

  const apply = (
    object: SimObject,
    fieldName: string,
    value: ParameterValue,
    operation: string,
    externalRef: unknown,
    transactionId: string,
  ) => {
    object.fields[fieldName] = value;
    ledger.append({
      object: object.id,
      parameter: fieldName,
      value,
      operation,
      source: 'api',
      transactionId,
      ...(typeof externalRef === 'string' ? { externalRef } : {}),
    });
  };

  const commands: Record<string, (command: Record<string, unknown>, transactionId: string) => Record<string, unknown>> =
    {
      SetProcessParameterValue(command, tx) {
        const recipe = writable(field(command, 'RecipeId'), 'Recipe');
        const name = field(command, 'Name');
        if (!(name in recipe.fields))
          throw new SimHttpError(404, 'NotFound', `recipe ${recipe.id} has no parameter ${name}`);
        const value = command.Value as ParameterValue;
        if (typeof value !== typeof recipe.fields[name]) {
          throw new SimHttpError(400, 'InvalidValue', `${name} takes a ${typeof recipe.fields[name]}`);
        }
        apply(recipe, name, value, 'SetProcessParameterValue', command.ExternalRef, tx);
        if (typeof command.Reason === 'string' && command.Reason.length > 0)
          reasons.set(`${recipe.id}/${name}`, command.Reason);
        else reasons.delete(`${recipe.id}/${name}`);
        return {};
      },
      UpdateWorkOrderStatus(command, tx) {
        const workOrder = writable(field(command, 'WorkOrderNId'), 'WorkOrder');
        const status = field(command, 'Status');
        if (!(OPCENTER_WORK_ORDER_STATUSES as readonly string[]).includes(status)) {
          throw new SimHttpError(400, 'InvalidStatus', `unknown work order status ${status}`);
        }
        apply(workOrder, 'Status', status, 'UpdateWorkOrderStatus', command.ExternalRef, tx);
        return {};
      },
      RerouteWorkOrderOperations(command, tx) {
        const workOrder = writable(field(command, 'WorkOrderNId'), 'WorkOrder');
        const workCenter = field(command, 'WorkCenterNId');
        if (!(OPCENTER_WORK_CENTERS as readonly string[]).includes(workCenter)) {
          throw new SimHttpError(400, 'UnknownWorkCenter', `no work center ${workCenter}`);
        }
        apply(workOrder, 'WorkCenter', workCenter, 'RerouteWorkOrderOperations', command.ExternalRef, tx);
        return {};
      },
      HoldMaterialLot(command, tx) {
        const lot = writable(field(command, 'MaterialLotNId'), 'MaterialLot');
        apply(lot, 'Status', 'Hold', 'HoldMaterialLot', command.ExternalRef, tx);
        return {};
      },
      ReleaseMaterialLot(command, tx) {
        const lot = writable(field(command, 'MaterialLotNId'), 'MaterialLot');
        apply(lot, 'Status', 'Active', 'ReleaseMaterialLot', command.ExternalRef, tx);
        return {};
      },
      CreateCustomEvent(command) {
        const nid = field(command, 'NId');
        let data: unknown;
        try {
          data = JSON.parse(field(command, 'Payload'));
        } catch {
          throw new SimHttpError(400, 'InvalidPayload', 'Payload must be a JSON text');
        }
        const recorded = events.record({
          id: nid,
          type: field(command, 'EventType'),
          time: field(command, 'OccurredAt'),
          summary: String(command.Description ?? ''),
          data: typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : { value: data },
        });
        if (!recorded) throw new SimHttpError(409, 'AlreadyExists', `a custom event ${nid} exists`);
        return {};
      },
      CreateQualityEvent(command, tx) {
        const nid = field(command, 'NId');
        if (store.all('QualityEvent').some((qe) => qe.fields.NId === nid)) {
          throw new SimHttpError(409, 'AlreadyExists', `a quality event ${nid} exists`);
        }
        qualityEvents += 1;
        const id = `QE-${String(qualityEvents).padStart(5, '0')}`;
        const event = store.add({
          id,
          type: 'QualityEvent',
          fields: {
            NId: nid,
            Description: String(command.Description ?? ''),
            Severity: String(command.Severity ?? 'Medium'),
            SubjectType: String(command.SubjectType ?? ''),
            SubjectNId: String(command.SubjectNId ?? ''),
            TransactionId: tx,
          },
          state: 'open',
        });
        ledger.append({
          object: event.id,
          value: nid,
          externalRef: nid,
          operation: 'CreateQualityEvent',
          source: 'api',
          transactionId: tx,
        });
        return { Id: id };
      },
    };

  const runCommand = (request: SimRequest): SimResponse => {
    checkApp(request);
    const handler = commands[request.params.command];
    if (!handler) throw new SimHttpError(404, 'NotFound', `no command ${request.params.command}`);
    const command = (request.body as { command?: unknown } | undefined)?.command;
    if (typeof command !== 'object' || command === null) {
      throw new SimHttpError(400, 'InvalidCommand', 'body must be {"command": {...}}');
    }
    transactions += 1;
    const transactionId = `tx-${String(transactions).padStart(7, '0')}`;
    if (!admitted()) {
      // The seed's silent throttle: acknowledged like any other command, never applied.
      throttled += 1;
      return { status: 200, body: { Succeeded: true, TransactionId: transactionId } };
    }
    const extra = handler(command as Record<string, unknown>, transactionId);
    return { status: 200, body: { Succeeded: true, TransactionId: transactionId, ...extra } };
  };

  const sim = await startHttpSimulator({
    ledger,
    events,
    name: 'opcenter',
    port: options.port,
    store,
    secrets: [secret],
    authorize: (request) => tokens.authorize(request),
    // A hand edit at the console replaces the value and its reason.
    onOperatorEdit(object, parameter, value) {
      store.get(object).fields[parameter] = value;
      reasons.delete(`${object}/${parameter}`);
    },
    onReset() {
      reasons.clear();
      level = 0;
      drainedAt = Date.now();
      throttled = 0;
      qualityEvents = 0;
    },
    routes: [
      { method: 'POST', path: '/sit-auth/OAuth/Token', public: true, handle: tokens.issue },
      {
        method: 'GET',
        path: '/sit-svc/application/:app/odata/',
        handle(request) {
          checkApp(request);
          return { status: 200, body: { value: Object.keys(entitySets).map((name) => ({ name, url: name })) } };
        },
      },
      {
        method: 'GET',
        path: '/sit-svc/application/:app/odata/:entitySet',
        handle(request) {
          checkApp(request);
          const rows = entitySets[request.params.entitySet];
          if (!rows) throw new SimHttpError(404, 'NotFound', `no entity set ${request.params.entitySet}`);
          const filter = parseODataFilter(request.query.get('$filter') ?? '');
          const value = rows().filter((r) => Object.entries(filter).every(([k, v]) => String(r[k]) === v));
          return { status: 200, body: { '@odata.context': `$metadata#${request.params.entitySet}`, value } };
        },
      },
      {
        method: 'POST',
        path: '/sit-svc/application/:app/odata/CreateCustomEvent',
        mutating: true,
        eventLog: true,
        handle: (request) => runCommand({ ...request, params: { ...request.params, command: 'CreateCustomEvent' } }),
      },
      { method: 'POST', path: '/sit-svc/application/:app/odata/:command', mutating: true, handle: runCommand },
    ],
  });

  return Object.assign(sim, {
    app,
    clientId,
    throttledCount: () => throttled,
    revokeTokens: () => tokens.revoke(),
    tokenRequests: () => tokens.requests(),
  });
}

/** How the registry, `npm run sim`, the contract suite and the bench start and address it. */
export const opcenterSimulatorDefinition: TargetSimulatorDefinition = {
  start: (options) => startOpcenterSimulator(options),
  connection: (sim, options) => ({
    baseUrl: sim.url,
    app: (sim as OpcenterSimulator).app,
    clientId: (sim as OpcenterSimulator).clientId,
    clientSecret: sim.secrets[0],
    ...(options?.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  }),
  sample: {
    simObject: 'CNC-01/OP20',
    simParameter: 'FeedRate',
    address: { object: { type: 'recipe-parameter', id: 'CNC-01/OP20' }, parameter: 'FeedRate' },
    seeded: 1200,
    value: (i) => 1201 + i,
    write: (value, externalRef) => ({
      action: 'set-parameter',
      object: { type: 'recipe-parameter', id: 'CNC-01/OP20' },
      parameter: 'FeedRate',
      value,
      externalRef,
      reason: 'tool wear compensation',
    }),
    create: (externalRef) => ({
      action: 'create-quality-event',
      object: { type: 'material-lot', id: 'LOT-4711' },
      externalRef,
      reason: 'lot correlates with scrap',
      details: { description: 'incoming lot statistically out of spec', severity: 'High' },
    }),
  },
};
