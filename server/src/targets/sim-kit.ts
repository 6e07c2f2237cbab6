import { randomBytes, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParameterValue } from '@loopgate/contracts';
import type { TargetAddress, TargetWrite } from './adapter';

/*
 * The shared simulator kit: an ordered ledger of what a simulator applied, fault injection,
 * an in-memory object store with record states and locks, and a small HTTP server on 127.0.0.1
 * with the admin endpoint every simulator shares (`/__admin/...`). Simulators that are not HTTP
 * (OPC UA) implement `RunningSimulator` themselves and reuse the ledger, faults and store.
 */

// ---------------------------------------------------------------------------------------------
// Ledger

/** One operation a simulator applied, in the order it applied them. */
export interface LedgerEntry {
  /** 1, 2, 3 … in order of application; restarts at 1 on reset. */
  sequence: number;
  /** ISO 8601 with milliseconds. */
  time: string;
  /** The simulator's id of the object: recipe, work order, lot, asset, node. */
  object: string;
  parameter?: string;
  value: ParameterValue | null;
  externalRef?: string;
  /** What was done, in the target's words, e.g. `SetProcessParameterValue`, `reroute`. */
  operation: string;
  /** `api`: through the target's API (the gateway); `operator`: a hand edit at the console. */
  source: 'api' | 'operator';
  /** The MES's own transaction id, where it gives one. */
  transactionId?: string;
}

export type LedgerInput = Omit<LedgerEntry, 'sequence' | 'time'>;

/** Append-only list of applied operations; listeners hear of each one as it is applied. */
export class SimLedger {
  private entries: LedgerEntry[] = [];
  private readonly listeners = new Set<(entry: LedgerEntry) => void>();

  append(input: LedgerInput): LedgerEntry {
    const entry: LedgerEntry = { sequence: this.entries.length + 1, time: new Date().toISOString(), ...input };
    this.entries.push(entry);
    for (const listener of this.listeners) listener({ ...entry });
    return entry;
  }

  /** Calls `listener` with every operation applied from now on; returns the way to stop. */
  onAppend(listener: (entry: LedgerEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): LedgerEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}

// ---------------------------------------------------------------------------------------------
// Event log

/** One event in a simulated MES's own event log (Opcenter custom events, ProductionCentre events, …). */
export interface SimEvent {
  /** The sender's id of the event; the log keeps the first event of each id. */
  id: string;
  /** 1, 2, 3 … in order of arrival; restarts at 1 on reset. */
  sequence: number;
  /** When the MES received it. */
  receivedAt: string;
  type: string;
  /** When it happened, as the sender says. */
  time: string;
  summary: string;
  data: Record<string, unknown>;
}

export type SimEventInput = Omit<SimEvent, 'sequence' | 'receivedAt'>;

/**
 * A simulated MES event log: append-only, in arrival order, one entry per event id (a resent
 * event is acknowledged and not recorded twice, as the MES's unique event key would have it).
 */
export class SimEventLog {
  private events: SimEvent[] = [];
  private readonly ids = new Set<string>();
  private resent = 0;

  /** Records the event; `false` when an event of this id is already in the log. */
  record(input: SimEventInput): boolean {
    if (this.ids.has(input.id)) {
      this.resent += 1;
      return false;
    }
    this.ids.add(input.id);
    this.events.push({ ...input, sequence: this.events.length + 1, receivedAt: new Date().toISOString() });
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  list(): SimEvent[] {
    return this.events.map((e) => ({ ...e }));
  }

  /** Events sent again after the log had them (refused as duplicates). */
  resends(): number {
    return this.resent;
  }

  clear(): void {
    this.events = [];
    this.ids.clear();
    this.resent = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

/** Faults a simulator injects into its API (never into `/__admin`). Rates are 0…1 per request. */
export interface FaultSettings {
  /** Added before the answer is sent, after the operation is applied (a slow acknowledgement). */
  latencyMs: number;
  /** Share of requests answered `errorStatus` before anything is applied. */
  errorRate: number;
  errorStatus: number;
  /** Share of mutating requests whose socket is destroyed after the operation is applied. */
  dropRate: number;
  /** Every API request (token endpoint included) answers 401, as with revoked credentials. */
  authFailure: boolean;
  /** Until this time (epoch ms, the simulator's clock) every API request answers `errorStatus`: an outage window. */
  outageUntil: number | null;
  /**
   * The MES stops answering: requests wait, unanswered, until it thaws; then they are processed in
   * arrival order, changes applied even when the client gave up waiting (as a queued transaction would).
   */
  frozen: boolean;
  /** Share of reads (non-mutating requests) answered `errorStatus`: confirming reads fail while writes land. */
  readErrorRate: number;
  /** Share of changes sent with a lock token whose lock the server has just expired (targets with locks). */
  lockExpiryRate: number;
  /** The MES's event-log API alone answers `errorStatus` (its log service is down; writes still land). */
  eventLogDown: boolean;
}

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 503,
  dropRate: 0,
  authFailure: false,
  outageUntil: null,
  frozen: false,
  readErrorRate: 0,
  lockExpiryRate: 0,
  eventLogDown: false,
});

/** `POST /__admin/faults` also takes `outageMs`: an outage window from now. */
export type FaultChanges = Partial<FaultSettings> & { outageMs?: number };

/** Programmatic fault injection, the same settings as `POST /__admin/faults`. */
export class FaultHandle {
  private settings: FaultSettings = { ...NO_FAULTS };
  private thawed: (() => void)[] = [];

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** Merges `changes` into the current settings and returns the result; `outageMs` opens an outage window from now. */
  set(changes: FaultChanges): FaultSettings {
    const { outageMs, ...rest } = changes;
    const next = { ...this.settings, ...rest };
    if (outageMs !== undefined) {
      if (!(outageMs >= 0)) throw new RangeError('outageMs must be 0 or more');
      next.outageUntil = this.now() + outageMs;
    }
    for (const rate of ['errorRate', 'dropRate', 'readErrorRate', 'lockExpiryRate'] as const) {
      if (!(next[rate] >= 0 && next[rate] <= 1)) throw new RangeError(`${rate} must be between 0 and 1`);
    }
    if (!(next.latencyMs >= 0)) throw new RangeError('latencyMs must be 0 or more');
    if (!(next.errorStatus >= 500 && next.errorStatus <= 599)) throw new RangeError('errorStatus must be a 5xx');
    if (next.outageUntil !== null && !Number.isFinite(next.outageUntil))
      throw new RangeError('outageUntil must be a time');
    this.settings = next;
    if (!next.frozen) this.thaw();
    return this.current();
  }

  clear(): void {
    this.settings = { ...NO_FAULTS };
    this.thaw();
  }

  current(): FaultSettings {
    return { ...this.settings };
  }

  /** Rolls the dice for this request: should it fail with a 5xx before anything is applied? */
  shouldError(mutating = true): boolean {
    const { outageUntil, errorRate, readErrorRate } = this.settings;
    if (outageUntil !== null && this.now() < outageUntil) return true;
    if (errorRate > 0 && this.random() < errorRate) return true;
    return !mutating && readErrorRate > 0 && this.random() < readErrorRate;
  }

  /** Should this mutating request lose its connection after it was applied? */
  shouldDrop(): boolean {
    return this.settings.dropRate > 0 && this.random() < this.settings.dropRate;
  }

  /** Should the server treat this change's lock as just expired? */
  shouldExpireLock(): boolean {
    return this.settings.lockExpiryRate > 0 && this.random() < this.settings.lockExpiryRate;
  }

  /** Resolves at once, or when a frozen MES thaws. */
  whenAnswering(): Promise<void> {
    if (!this.settings.frozen) return Promise.resolve();
    return new Promise((resolve) => this.thawed.push(resolve));
  }

  private thaw(): void {
    const waiting = this.thawed;
    this.thawed = [];
    for (const resolve of waiting) resolve();
  }
}

// ---------------------------------------------------------------------------------------------
// Object store

/** `open` is the normal state; `locked` is the MES's own record lock; audited and closed are final. */
export const RECORD_STATES = ['open', 'locked', 'audited', 'closed'] as const;
export type RecordState = (typeof RECORD_STATES)[number];

export interface SimLock {
  holder: string;
  token: string;
  /** Epoch ms; `null` for locks that do not expire (the operator console's). */
  expiresAt: number | null;
}

export interface SimObject {
  id: string;
  /** The simulator's entity type, e.g. `ProcessParameter`, `WorkOrder`, `MaterialLot`. */
  type: string;
  fields: Record<string, ParameterValue | null>;
  state: RecordState;
  lock?: SimLock;
  /** Per field, the user of the last change (the API's user or the console's), as the MES records it. */
  changedBy?: Record<string, string>;
}

/** Thrown inside simulator handlers; the HTTP kit answers `status` with an OData-style error body. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimHttpError';
  }
}

/** The objects a simulator holds, seeded and reset from `seed`. */
export class SimObjectStore {
  private objects = new Map<string, SimObject>();

  constructor(
    private readonly seed: () => SimObject[],
    private readonly now: () => number = Date.now,
  ) {
    this.reset();
  }

  reset(): void {
    this.objects = new Map(this.seed().map((o) => [o.id, structuredClone(o)]));
  }

  find(id: string): SimObject | undefined {
    return this.objects.get(id);
  }

  /** The object or a 404 `NotFound`. */
  get(id: string): SimObject {
    const found = this.objects.get(id);
    if (!found) throw new SimHttpError(404, 'NotFound', `no object ${id}`);
    return found;
  }

  all(type?: string): SimObject[] {
    return [...this.objects.values()].filter((o) => type === undefined || o.type === type);
  }

  add(object: SimObject): SimObject {
    this.objects.set(object.id, object);
    return object;
  }

  /** The current lock, or undefined once it has expired. */
  activeLock(id: string): SimLock | undefined {
    const object = this.get(id);
    if (object.lock && object.lock.expiresAt !== null && object.lock.expiresAt <= this.now()) object.lock = undefined;
    return object.lock;
  }

  /** Takes the lock for `holder`; a 423 `Locked` when someone else holds it. */
  lock(id: string, holder: string, ttlMs: number | null): SimLock {
    const current = this.activeLock(id);
    if (current && current.holder !== holder)
      throw new SimHttpError(423, 'Locked', `${id} is locked by ${current.holder}`);
    const lock: SimLock = { holder, token: randomUUID(), expiresAt: ttlMs === null ? null : this.now() + ttlMs };
    this.get(id).lock = lock;
    return lock;
  }

  unlock(id: string): void {
    this.get(id).lock = undefined;
  }

  /** True when a write is refused because of a record lock or a lock held by someone else. */
  isLocked(id: string): boolean {
    return this.get(id).state === 'locked' || this.activeLock(id) !== undefined;
  }

  isAudited(id: string): boolean {
    const state = this.get(id).state;
    return state === 'audited' || state === 'closed';
  }
}

/**
 * OAuth 2.0 client-credentials tokens as an MES's token endpoint issues them (Opcenter, SAP
 * Digital Manufacturing): `issue` is the token route (form-encoded `grant_type`, `client_id`,
 * `client_secret`), `authorize` checks a request's bearer token, `revoke` invalidates every token
 * issued, as a server restart or key rotation does.
 */
export class SimTokenIssuer {
  private readonly tokens = new Map<string, number>();
  private issued = 0;

  constructor(
    private readonly clientId: string,
    private readonly secret: string,
    private readonly ttlSeconds = 3600,
  ) {}

  readonly issue = (request: SimRequest): SimResponse => {
    this.issued += 1;
    const form = (request.body ?? {}) as Record<string, string>;
    if (form.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (form.client_id !== this.clientId || form.client_secret !== this.secret)
      return { status: 401, body: { error: 'invalid_client' } };
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, Date.now() + this.ttlSeconds * 1000);
    return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: this.ttlSeconds } };
  };

  authorize(request: SimRequest): boolean {
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const expiresAt = this.tokens.get(token);
    return expiresAt !== undefined && expiresAt > Date.now();
  }

  revoke(): void {
    this.tokens.clear();
  }

  /** Token requests received, refused ones included. */
  requests(): number {
    return this.issued;
  }
}

// ---------------------------------------------------------------------------------------------
// The control surface every simulator offers (programmatic and over `/__admin`)

export interface SimulatorControl {
  /** What the simulator applied, in order. */
  ledger(): LedgerEntry[];
  /** Calls `listener` with each operation as it is applied (API writes and hand edits); returns the way to stop. */
  onApplied(listener: (entry: LedgerEntry) => void): () => void;
  readonly faults: FaultHandle;
  /** An operator (`user`, default `operator-console`) changes a value by hand at the console (in the ledger as `operator`). */
  operatorEdit(object: string, parameter: string, value: ParameterValue, user?: string): void;
  /** Someone (by default the operator console) holds the object's lock until `unlock`, or for `ttlMs`. */
  lock(object: string, holder?: string, ttlMs?: number): void;
  unlock(object: string): void;
  setRecordState(object: string, state: RecordState): void;
  /** Back to the seed: objects, locks, ledger, event log, faults and counters. */
  reset(): void;
  /** API requests received so far (admin requests excluded). */
  requestCount(): number;
}

export interface RunningSimulator extends SimulatorControl {
  /** Base URL of the API, e.g. `http://127.0.0.1:18201` or `opc.tcp://127.0.0.1:18202`. */
  readonly url: string;
  readonly port: number;
  /** Credentials the simulator accepts; they must never appear in an adapter's errors or logs. */
  readonly secrets: readonly string[];
  close(): Promise<void>;
}

/** Representative commands of one target, for the contract suite and the bench. */
export interface TargetSample {
  /** The simulator's id of the object the sample writes (for locks, record states, operator edits). */
  simObject: string;
  /** The simulator's name of the field the sample writes (for operator edits). */
  simParameter: string;
  /** Where the sample value is read. */
  address: TargetAddress;
  /** The value the simulator is seeded with at `address`. */
  seeded: ParameterValue;
  /** The i-th value to write (i ≥ 0): never the seeded value, and never the same as the (i-1)-th. */
  value(i: number): ParameterValue;
  /** The write that sets `address` to `value`. */
  write(value: ParameterValue, externalRef: string): TargetWrite;
  /** A create with an external reference, for targets with `idempotentCreate`. */
  create?(externalRef: string): TargetWrite;
}

/** How a target's simulator is started and pointed at; part of its `TargetDefinition`. */
export interface TargetSimulatorDefinition {
  /**
   * Starts on 127.0.0.1; port 0 or absent lets the OS pick. `secret` fixes the credential the
   * simulator accepts (a random one otherwise), so a simulator started on its own can be configured.
   */
  start(options?: { port?: number; secret?: string }): Promise<RunningSimulator>;
  /** Raw connection configuration (as in the config file) that points an adapter at `sim`. */
  connection(sim: RunningSimulator, options?: { requestTimeoutMs?: number }): unknown;
  sample: TargetSample;
  /** Port `npm run sim` uses without `--port` (e.g. 4840 for OPC UA); absent: the OS picks. */
  defaultPort?: number;
}

// ---------------------------------------------------------------------------------------------
// HTTP simulator server

export interface SimRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON or form body; `undefined` when empty. */
  body: unknown;
}

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface SimRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `:name` segments, e.g. `/api/workorders/:id/lock`. */
  path: string;
  /** Changes state: dropped connections apply to these only, after the handler ran. */
  mutating?: boolean;
  /** Skips `authorize` (the token endpoint checks its own credentials). */
  public?: boolean;
  /** Part of the MES's event-log API: answers `errorStatus` while the `eventLogDown` fault is on. */
  eventLog?: boolean;
  handle(request: SimRequest): SimResponse | Promise<SimResponse>;
}

export interface HttpSimulatorOptions {
  /** For messages, e.g. `opcenter`. */
  name: string;
  port?: number;
  routes: SimRoute[];
  /** Credentials check of every non-public API request; false answers 401. */
  authorize(request: SimRequest): boolean;
  store: SimObjectStore;
  secrets: readonly string[];
  /** Extra state to reset with the objects (queues, counters, created records). */
  onReset?(): void;
  /** Applies an operator's hand edit; default: sets the field on the store's object. */
  onOperatorEdit?(object: string, parameter: string, value: ParameterValue): void;
  ledger?: SimLedger;
  faults?: FaultHandle;
  /** The MES's event log, for simulators whose MES has one (`GET /__admin/event-log`). */
  events?: SimEventLog;
}

export interface HttpSimulator extends RunningSimulator {
  readonly store: SimObjectStore;
  readonly ledgerStore: SimLedger;
  /** What the MES's event log holds, in arrival order; empty for a target without one. */
  eventLog(): SimEvent[];
  /** Events sent again after the log had them. */
  eventResends(): number;
}

interface CompiledRoute {
  route: SimRoute;
  pattern: RegExp;
  names: string[];
}

function compile(route: SimRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return undefined;
  const type = request.headers['content-type'] ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SimHttpError(400, 'BadRequest', `body is not JSON: ${(error as Error).message}`);
  }
}

function send(response: ServerResponse, answer: SimResponse): void {
  if (response.destroyed) return;
  const headers: Record<string, string> = { ...answer.headers };
  let payload: string | undefined;
  if (answer.body !== undefined) {
    payload = JSON.stringify(answer.body);
    headers['content-type'] ??= 'application/json';
  }
  response.writeHead(answer.status, headers);
  response.end(payload);
}

function errorBody(code: string, message: string): unknown {
  return { error: { code, message } };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new SimHttpError(400, 'BadRequest', `${field} is required`);
  return value;
}

function parameterValue(value: unknown): ParameterValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new SimHttpError(400, 'BadRequest', 'value must be a string, number or boolean');
}

/**
 * The route of a MES's event-log API: `toEvent` reads the MES's own body shape (400 when it does
 * not fit); the event is recorded once per id (201), a known id answers 409 `AlreadyExists`.
 */
export function eventLogRoute(
  events: SimEventLog,
  method: SimRoute['method'],
  path: string,
  toEvent: (body: Record<string, unknown>) => SimEventInput,
): SimRoute {
  return {
    method,
    path,
    mutating: true,
    eventLog: true,
    handle(request) {
      const body = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new SimHttpError(400, 'BadRequest', 'body must be a JSON object');
      }
      const event = toEvent(body as Record<string, unknown>);
      if (!events.record(event)) throw new SimHttpError(409, 'AlreadyExists', `event ${event.id} is in the log`);
      return { status: 201, body: { id: event.id } };
    },
  };
}

/** A required text field of a simulator request body (400 `BadRequest` naming it otherwise). */
export function textField(body: Record<string, unknown>, name: string): string {
  return str(body[name], name);
}

/** A required object field of a simulator request body. */
export function objectField(body: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = body[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SimHttpError(400, 'BadRequest', `${name} must be an object`);
  return value as Record<string, unknown>;
}

/**
 * Starts an HTTP simulator on 127.0.0.1 with the shared admin endpoint:
 * `GET /__admin/ledger`, `GET /__admin/faults`, `POST /__admin/faults`, `POST /__admin/operator-edit`,
 * `POST /__admin/lock`, `POST /__admin/unlock`, `POST /__admin/record-state`, `POST /__admin/reset`,
 * `GET /__admin/stats`, `GET /__admin/event-log`.
 *
 * @example
 * const sim = await startHttpSimulator({ name: 'demo', routes, authorize: () => true, store, secrets: [] });
 * sim.faults.set({ errorRate: 1 }); // every API request now answers 503
 */
export async function startHttpSimulator(options: HttpSimulatorOptions): Promise<HttpSimulator> {
  const ledger = options.ledger ?? new SimLedger();
  const faults = options.faults ?? new FaultHandle();
  const events = options.events ?? new SimEventLog();
  const store = options.store;
  const routes = options.routes.map(compile);
  let requests = 0;

  const control: SimulatorControl = {
    ledger: () => ledger.list(),
    onApplied: (listener) => ledger.onAppend(listener),
    faults,
    operatorEdit(object, parameter, value, user = 'operator-console') {
      if (options.onOperatorEdit) options.onOperatorEdit(object, parameter, value);
      else store.get(object).fields[parameter] = value;
      const edited = store.find(object);
      if (edited) edited.changedBy = { ...edited.changedBy, [parameter]: user };
      ledger.append({ object, parameter, value, operation: 'operator-edit', source: 'operator' });
    },
    lock(object, holder = 'operator-console', ttlMs) {
      store.lock(object, holder, ttlMs ?? null);
    },
    unlock(object) {
      store.unlock(object);
    },
    setRecordState(object, state) {
      if (!RECORD_STATES.includes(state)) throw new SimHttpError(400, 'BadRequest', `unknown record state ${state}`);
      store.get(object).state = state;
    },
    reset() {
      store.reset();
      ledger.clear();
      events.clear();
      faults.clear();
      requests = 0;
      options.onReset?.();
    },
    requestCount: () => requests,
  };

  async function admin(method: string, path: string, request: IncomingMessage): Promise<SimResponse> {
    const body = (method === 'POST' ? await readBody(request) : undefined) as Record<string, unknown> | undefined;
    const b = body ?? {};
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /__admin/ledger':
        return { status: 200, body: { entries: control.ledger() } };
      case 'GET /__admin/event-log':
        return { status: 200, body: { events: events.list(), resends: events.resends() } };
      case 'GET /__admin/stats':
        return { status: 200, body: { requests: control.requestCount(), applied: control.ledger().length } };
      case 'GET /__admin/faults':
        return { status: 200, body: faults.current() };
      case 'POST /__admin/faults':
        try {
          return { status: 200, body: faults.set(b as FaultChanges) };
        } catch (error) {
          throw new SimHttpError(400, 'BadRequest', (error as Error).message);
        }
      case 'POST /__admin/operator-edit':
        control.operatorEdit(
          str(b.object, 'object'),
          str(b.parameter, 'parameter'),
          parameterValue(b.value),
          typeof b.user === 'string' && b.user.length > 0 ? b.user : undefined,
        );
        return { status: 204 };
      case 'POST /__admin/lock':
        control.lock(
          str(b.object, 'object'),
          typeof b.holder === 'string' ? b.holder : undefined,
          typeof b.ttlMs === 'number' ? b.ttlMs : undefined,
        );
        return { status: 204 };
      case 'POST /__admin/unlock':
        control.unlock(str(b.object, 'object'));
        return { status: 204 };
      case 'POST /__admin/record-state':
        control.setRecordState(str(b.object, 'object'), str(b.state, 'state') as RecordState);
        return { status: 204 };
      case 'POST /__admin/reset':
        control.reset();
        return { status: 204 };
      default:
        throw new SimHttpError(404, 'NotFound', `no admin route ${route}`);
    }
  }

  async function api(method: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    requests += 1;
    let matched: { compiled: CompiledRoute; match: RegExpExecArray } | undefined;
    for (const compiled of routes) {
      const match = compiled.route.method === method ? compiled.pattern.exec(url.pathname) : null;
      if (match) {
        matched = { compiled, match };
        break;
      }
    }
    if (!matched) throw new SimHttpError(404, 'NotFound', `no route ${method} ${url.pathname}`);
    const { route, names } = matched.compiled;
    const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(matched.match[i + 1])]));
    const simRequest: SimRequest = {
      method,
      path: url.pathname,
      params,
      query: url.searchParams,
      headers: request.headers,
      body: await readBody(request),
    };
    await faults.whenAnswering();
    const settings = faults.current();
    if (settings.authFailure) throw new SimHttpError(401, 'Unauthorized', 'credentials refused');
    if (faults.shouldError(route.mutating === true || route.public === true))
      throw new SimHttpError(settings.errorStatus, 'ServiceUnavailable', 'injected failure');
    if (route.eventLog && settings.eventLogDown)
      throw new SimHttpError(settings.errorStatus, 'ServiceUnavailable', 'the event log service is down');
    if (!route.public && !options.authorize(simRequest))
      throw new SimHttpError(401, 'Unauthorized', 'credentials refused');
    const answer = await route.handle(simRequest);
    if (settings.latencyMs > 0) await delay(settings.latencyMs);
    if (route.mutating && faults.shouldDrop()) {
      request.socket.destroy();
      return;
    }
    send(response, answer);
  }

  const server: Server = createServer((request, response) => {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const handled = url.pathname.startsWith('/__admin/')
      ? admin(method, url.pathname, request).then((answer) => send(response, answer))
      : api(method, url, request, response);
    handled.catch((error: unknown) => {
      if (error instanceof SimHttpError) {
        send(response, { status: error.status, body: errorBody(error.code, error.message) });
      } else {
        send(response, { status: 500, body: errorBody('InternalError', String(error)) });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    ...control,
    url: `http://127.0.0.1:${port}`,
    port,
    secrets: options.secrets,
    store,
    ledgerStore: ledger,
    eventLog: () => events.list(),
    eventResends: () => events.resends(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
