import { randomBytes } from 'node:crypto';
import type { ParameterValue } from '@loopgate/contracts';
import {
  FaultHandle,
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
 * A Rockwell FactoryTalk ProductionCentre stand-in: `/api/workorders` (read, re-route, status) and the
 * recipe management API under `/api/recipes`. As the seed says, modifying an in-progress work order
 * needs an explicit lock (acquire → modify → release); locks expire, and the operator console can
 * hold them. Recipes are checked out the same way before a parameter changes.
 */

export interface FactoryTalkSimulatorOptions {
  port?: number;
  username?: string;
  /** The password accepted; random when absent. */
  secret?: string;
  /** Longest lock the server grants, whatever is asked (default 30 s). */
  maxLockTtlMs?: number;
  /**
   * More records beside the seeded ones, for runs over many keys: in-progress work orders
   * `WO-3001`… and recipes `RCP-LOAD-001`… with the seeded recipe's parameters.
   */
  extra?: { workOrders?: number; recipes?: number };
  /** The server's clock (epoch ms), which decides when a lock has timed out. */
  now?: () => number;
}

export interface FactoryTalkSimulator extends HttpSimulator {
  readonly username: string;
  /** Ends every lock now, as a server-side timeout in the middle of an operation would. */
  expireLocks(): void;
}

export const FT_WORK_CENTERS = ['CELL-A', 'CELL-B', 'CELL-C'] as const;
export const FT_WORK_ORDER_STATUSES = ['Released', 'InProgress', 'OnHold', 'Completed', 'Cancelled'] as const;

const RECORD_STATE: Record<RecordState, string> = {
  open: 'Open',
  locked: 'Locked',
  audited: 'Audited',
  closed: 'Closed',
};

function seed(extra: FactoryTalkSimulatorOptions['extra'] = {}): SimObject[] {
  const workOrder = (id: string, status: string): SimObject => ({
    id,
    type: 'WorkOrder',
    fields: { status, workCenter: 'CELL-B' },
    state: 'open',
  });
  const more: SimObject[] = [
    ...Array.from({ length: extra.workOrders ?? 0 }, (_, i) => workOrder(`WO-${3001 + i}`, 'InProgress')),
    ...Array.from({ length: extra.recipes ?? 0 }, (_, i) => ({
      id: `RCP-LOAD-${String(i + 1).padStart(3, '0')}`,
      type: 'Recipe',
      fields: { FeedRate: 1200, SpindleSpeed: 8000, CoolantOn: true },
      state: 'open' as const,
    })),
  ];
  return [
    workOrder('WO-2001', 'InProgress'),
    workOrder('WO-2002', 'Released'),
    workOrder('WO-2003', 'InProgress'),
    {
      id: 'RCP-CNC-01',
      type: 'Recipe',
      fields: { FeedRate: 1200, SpindleSpeed: 8000, CoolantOn: true },
      state: 'open',
    },
    ...more,
  ];
}

function text(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string' || value.length === 0)
    throw new SimHttpError(400, 'InvalidRequest', `${name} is required`);
  return value;
}

/** Starts the FactoryTalk ProductionCentre simulator on 127.0.0.1. */
export async function startFactoryTalkSimulator(
  options: FactoryTalkSimulatorOptions = {},
): Promise<FactoryTalkSimulator> {
  const username = options.username ?? 'loopgate';
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const maxLockTtlMs = options.maxLockTtlMs ?? 30_000;
  const now = options.now ?? Date.now;
  const store = new SimObjectStore(() => seed(options.extra), now);
  const faults = new FaultHandle();
  const ledger = new SimLedger();
  const events = new SimEventLog();
  /** Every lock token ever issued, so an expired one is told apart from a forged one. */
  const issued = new Map<string, { object: string; expiresAt: number }>();
  let transactions = 0;

  const typed = (id: string, type: string): SimObject => {
    const object = store.get(id);
    if (object.type !== type) throw new SimHttpError(404, 'NotFound', `no ${type} ${id}`);
    return object;
  };

  const lockView = (id: string) => {
    const lock = store.activeLock(id);
    return lock
      ? { holder: lock.holder, expiresAt: lock.expiresAt === null ? null : new Date(lock.expiresAt).toISOString() }
      : null;
  };

  const workOrderView = (object: SimObject) => ({
    id: object.id,
    status: object.fields.status,
    workCenter: object.fields.workCenter,
    lastChangedBy: object.changedBy ?? {},
    inProgress: object.fields.status === 'InProgress',
    recordState: RECORD_STATE[object.state],
    lock: lockView(object.id),
  });

  /** Refuses the change unless the record is open and the caller holds its lock (where one is needed). */
  const checkModifiable = (object: SimObject, request: SimRequest, lockRequired: boolean) => {
    if (object.state === 'locked') throw new SimHttpError(423, 'RecordLocked', `${object.id} is locked`);
    if (store.isAudited(object.id)) throw new SimHttpError(409, 'RecordClosed', `${object.id} is ${object.state}`);
    const token = request.headers['x-lock-token'];
    const lock = store.activeLock(object.id);
    if (typeof token === 'string' && token.length > 0) {
      if (lock?.token === token && faults.shouldExpireLock()) {
        // The server's timeout ran out between the lock and the change.
        store.unlock(object.id);
        issued.set(token, { object: object.id, expiresAt: now() });
        throw new SimHttpError(409, 'LockExpired', `the lock on ${object.id} expired`);
      }
      if (lock?.token === token) return;
      const known = issued.get(token);
      if (known?.object === object.id && known.expiresAt <= now()) {
        throw new SimHttpError(409, 'LockExpired', `the lock on ${object.id} expired`);
      }
      if (lock) throw new SimHttpError(423, 'LockedByOtherUser', `${object.id} is locked by ${lock.holder}`);
      throw new SimHttpError(409, 'LockTokenInvalid', `the lock token is not valid for ${object.id}`);
    }
    if (lock) throw new SimHttpError(423, 'LockedByOtherUser', `${object.id} is locked by ${lock.holder}`);
    if (lockRequired) throw new SimHttpError(428, 'LockRequired', `modifying ${object.id} needs its lock`);
  };

  /** The comment of each recipe parameter's last change through the API, as the operator console shows it. */
  const comments = new Map<string, string>();
  const change = (object: SimObject, field: string, value: ParameterValue, operation: string, body: unknown) => {
    object.fields[field] = value;
    const reason = (body as { reason?: unknown } | undefined)?.reason;
    if (typeof reason === 'string' && reason.length > 0) comments.set(`${object.id}/${field}`, reason);
    else comments.delete(`${object.id}/${field}`);
    object.changedBy = { ...object.changedBy, [field]: username };
    transactions += 1;
    const transactionId = `FT-${String(transactions).padStart(7, '0')}`;
    const externalRef = (body as { externalRef?: unknown } | undefined)?.externalRef;
    ledger.append({
      object: object.id,
      parameter: field,
      value,
      operation,
      source: 'api',
      transactionId,
      ...(typeof externalRef === 'string' ? { externalRef } : {}),
    });
    return transactionId;
  };

  const acquire =
    (type: string) =>
    (request: SimRequest): SimResponse => {
      const object = typed(request.params.id, type);
      if (object.state === 'locked') throw new SimHttpError(423, 'RecordLocked', `${object.id} is locked`);
      if (store.isAudited(object.id)) throw new SimHttpError(409, 'RecordClosed', `${object.id} is ${object.state}`);
      const body = (request.body ?? {}) as { holder?: unknown; ttlSeconds?: unknown };
      const holder = typeof body.holder === 'string' && body.holder.length > 0 ? body.holder : 'api';
      const asked = typeof body.ttlSeconds === 'number' ? body.ttlSeconds * 1000 : maxLockTtlMs;
      const current = store.activeLock(object.id);
      if (current && current.holder !== holder) {
        throw new SimHttpError(423, 'LockedByOtherUser', `${object.id} is locked by ${current.holder}`);
      }
      const lock = store.lock(object.id, holder, Math.min(asked, maxLockTtlMs));
      issued.set(lock.token, { object: object.id, expiresAt: lock.expiresAt ?? Number.MAX_SAFE_INTEGER });
      return { status: 201, body: { lockToken: lock.token, expiresAt: new Date(lock.expiresAt!).toISOString() } };
    };

  const release =
    (type: string) =>
    (request: SimRequest): SimResponse => {
      const object = typed(request.params.id, type);
      const lock = store.activeLock(object.id);
      const token = request.headers['x-lock-token'];
      if (lock && lock.token !== token)
        throw new SimHttpError(409, 'LockTokenInvalid', `the lock token is not valid for ${object.id}`);
      if (lock) store.unlock(object.id);
      return { status: 204 };
    };

  const sim = await startHttpSimulator({
    ledger,
    events,
    faults,
    name: 'factorytalk',
    port: options.port,
    store,
    secrets: [secret],
    authorize(request) {
      const expected = `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
      return request.headers.authorization === expected;
    },
    onReset() {
      issued.clear();
      comments.clear();
      transactions = 0;
    },
    // A hand edit at the console replaces the value and its comment.
    onOperatorEdit(object, parameter, value) {
      store.get(object).fields[parameter] = value;
      comments.delete(`${object}/${parameter}`);
    },
    routes: [
      {
        method: 'GET',
        path: '/api/workorders',
        handle(request) {
          const top = Number(request.query.get('top') ?? '100');
          return { status: 200, body: { items: store.all('WorkOrder').slice(0, top).map(workOrderView) } };
        },
      },
      {
        method: 'GET',
        path: '/api/workorders/:id',
        handle: (request) => ({ status: 200, body: workOrderView(typed(request.params.id, 'WorkOrder')) }),
      },
      { method: 'POST', path: '/api/workorders/:id/lock', mutating: true, handle: acquire('WorkOrder') },
      { method: 'DELETE', path: '/api/workorders/:id/lock', mutating: true, handle: release('WorkOrder') },
      {
        method: 'PUT',
        path: '/api/workorders/:id/route',
        mutating: true,
        handle(request) {
          const workOrder = typed(request.params.id, 'WorkOrder');
          checkModifiable(workOrder, request, workOrder.fields.status === 'InProgress');
          const workCenter = text(request.body, 'workCenter');
          if (!(FT_WORK_CENTERS as readonly string[]).includes(workCenter)) {
            throw new SimHttpError(400, 'UnknownWorkCenter', `no work center ${workCenter}`);
          }
          change(workOrder, 'workCenter', workCenter, 'reroute', request.body);
          return { status: 200, body: workOrderView(workOrder) };
        },
      },
      {
        method: 'PUT',
        path: '/api/workorders/:id/status',
        mutating: true,
        handle(request) {
          const workOrder = typed(request.params.id, 'WorkOrder');
          checkModifiable(workOrder, request, workOrder.fields.status === 'InProgress');
          const status = text(request.body, 'status');
          if (!(FT_WORK_ORDER_STATUSES as readonly string[]).includes(status)) {
            throw new SimHttpError(400, 'InvalidStatus', `unknown status ${status}`);
          }
          change(workOrder, 'status', status, 'status', request.body);
          return { status: 200, body: workOrderView(workOrder) };
        },
      },
      {
        method: 'GET',
        path: '/api/recipes/:id/parameters/:name',
        handle(request) {
          const recipe = typed(request.params.id, 'Recipe');
          const name = request.params.name;
          if (!(name in recipe.fields)) throw new SimHttpError(404, 'NotFound', `recipe ${recipe.id} has no ${name}`);
          const value = recipe.fields[name];
          return {
            status: 200,
            body: {
              recipe: recipe.id,
              name,
              value,
              lastChangedBy: recipe.changedBy?.[name] ?? null,
              lastChangeComment: comments.get(`${recipe.id}/${name}`) ?? null,
              dataType: typeof value,
              recordState: RECORD_STATE[recipe.state],
              lock: lockView(recipe.id),
            },
          };
        },
      },
      {
        method: 'PUT',
        path: '/api/recipes/:id/parameters/:name',
        mutating: true,
        handle(request) {
          const recipe = typed(request.params.id, 'Recipe');
          const name = request.params.name;
          if (!(name in recipe.fields)) throw new SimHttpError(404, 'NotFound', `recipe ${recipe.id} has no ${name}`);
          checkModifiable(recipe, request, true);
          const value = (request.body as { value?: unknown } | undefined)?.value;
          if (typeof value !== typeof recipe.fields[name]) {
            throw new SimHttpError(400, 'InvalidValue', `${name} takes a ${typeof recipe.fields[name]}`);
          }
          const transactionId = change(recipe, name, value as ParameterValue, 'recipe-parameter', request.body);
          return { status: 200, body: { recipe: recipe.id, name, value, transactionId } };
        },
      },
      { method: 'POST', path: '/api/recipes/:id/lock', mutating: true, handle: acquire('Recipe') },
      // ProductionCentre's event log (custom event types), unique per eventId.
      eventLogRoute(events, 'POST', '/api/events', (body) => ({
        id: textField(body, 'eventId'),
        type: textField(body, 'eventType'),
        time: textField(body, 'occurredAt'),
        summary: textField(body, 'description'),
        data: objectField(body, 'data'),
      })),
      { method: 'DELETE', path: '/api/recipes/:id/lock', mutating: true, handle: release('Recipe') },
    ],
  });

  return Object.assign(sim, {
    username,
    expireLocks() {
      const at = now();
      for (const object of store.all()) {
        if (object.lock && object.lock.expiresAt !== null) {
          object.lock.expiresAt = at;
          const known = issued.get(object.lock.token);
          if (known) known.expiresAt = at;
        }
      }
    },
  });
}

/** How the registry, `npm run sim`, the contract suite and the bench start and address it. */
export const factoryTalkSimulatorDefinition: TargetSimulatorDefinition = {
  start: (options) => startFactoryTalkSimulator(options),
  connection: (sim, options) => ({
    baseUrl: sim.url,
    username: (sim as FactoryTalkSimulator).username,
    password: sim.secrets[0],
    ...(options?.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  }),
  sample: {
    simObject: 'WO-2001',
    simParameter: 'workCenter',
    address: { object: { type: 'work-order', id: 'WO-2001' }, parameter: 'workCenter' },
    seeded: 'CELL-B',
    value: (i) => (i % 2 === 0 ? 'CELL-A' : 'CELL-C'),
    write: (value, externalRef) => ({
      action: 'reroute-work-order',
      object: { type: 'work-order', id: 'WO-2001' },
      details: { workCenter: value },
      externalRef,
      reason: 'bottleneck forming at CELL-B',
    }),
  },
};
