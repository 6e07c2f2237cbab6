import type { ParameterValue } from '@loopgate/contracts';
import type {
  ClientSession,
  DataValue,
  NodeId,
  OPCUACertificateManager,
  OPCUAClient,
  StatusCode,
  UserIdentityInfo,
} from 'node-opcua' with { 'resolution-mode': 'import' };
import { TargetError, type TargetFailureKind } from '../adapter';
import type { OpcuaConfig } from './config';
import { loadNodeOpcua, type NodeOpcua } from './node-opcua';

/*
 * The only file that talks to the OPC UA server: one client and one session per adapter, created
 * on first use and again after the connection or the session is lost (node-opcua's own reconnect
 * is off, so a write is never replayed behind the adapter's back). Status codes become
 * `TargetError`s here. Writes carry the command's external reference as the request header's
 * `auditEntryId`, which OPC UA defines for tying a request to the client's audit record.
 */

/** A node's value and what the server says about writing it, from one Read. */
export interface NodeState {
  value: ParameterValue | null;
  /** Built-in type of the value, e.g. `Double`, `Boolean`, `Int32` (subtypes resolved). */
  dataType: string;
  /** -1 scalar; 1 or more: an array. */
  valueRank: number;
  /** The node's AccessLevel allows writing the current value (for anyone). */
  writable: boolean;
  /** The owning object's DI lock (`<object>.Lock.Locked`) is held; false when it has none. */
  locked: boolean;
}

/**
 * node-opcua's session implementation. `_performMessageTransaction` sends a prepared request as it is
 * and reports an invalid session as an error; the public `performMessageTransaction` would instead
 * repair the session and re-send the request itself, retrying for seconds when the server refuses
 * the credentials, which hides an auth failure behind a timeout.
 */
interface TransactionSession {
  _performMessageTransaction?(request: unknown, callback: (error: Error | null, response?: unknown) => void): void;
  performMessageTransaction(request: unknown, callback: (error: Error | null, response?: unknown) => void): void;
}

function send<T>(session: ClientSession, request: unknown): Promise<T> {
  const transactions = session as unknown as TransactionSession;
  return new Promise<T>((resolve, reject) => {
    const callback = (error: Error | null, response?: unknown) => (error ? reject(error) : resolve(response as T));
    if (typeof transactions._performMessageTransaction === 'function')
      transactions._performMessageTransaction(request, callback);
    else transactions.performMessageTransaction(request, callback);
  });
}

interface Connection {
  client: OPCUAClient;
  session: ClientSession;
  namespaces: string[];
}

/** Status codes after which the same request may succeed later; nothing was applied. */
const TRANSIENT = new Set([
  'BadCommunicationError',
  'BadNoCommunication',
  'BadServerHalted',
  'BadServerNotConnected',
  'BadShutdown',
  'BadResourceUnavailable',
  'BadTooManyOperations',
  'BadTooManySessions',
  'BadOutOfService',
  'BadWaitingForInitialData',
  'BadServerTooBusy',
  'BadMaxConnectionsReached',
]);
/** Status codes that leave a write's outcome open. */
const OUTCOME_UNKNOWN = new Set(['BadTimeout', 'BadRequestTimeout']);
/** The session is gone on the server; the request was not processed. */
const SESSION_GONE = new Set(['BadSessionIdInvalid', 'BadSessionClosed', 'BadSessionNotActivated']);
/** The server refused the session's identity. */
const AUTH = new Set([
  'BadIdentityTokenRejected',
  'BadIdentityTokenInvalid',
  'BadUserAccessDenied',
  'BadUserSignatureInvalid',
  'BadSecurityChecksFailed',
  'BadCertificateUntrusted',
]);
const STABLE: Record<string, { kind: TargetFailureKind; code: string }> = {
  BadNotWritable: { kind: 'rejected', code: 'NOT_WRITABLE' },
  BadUserAccessDenied: { kind: 'rejected', code: 'ACCESS_DENIED' },
  BadNotReadable: { kind: 'rejected', code: 'ACCESS_DENIED' },
  BadLocked: { kind: 'locked', code: 'RECORD_LOCKED' },
  BadTypeMismatch: { kind: 'rejected', code: 'TYPE_MISMATCH' },
  BadOutOfRange: { kind: 'rejected', code: 'OUT_OF_RANGE' },
  BadNodeIdUnknown: { kind: 'rejected', code: 'NOT_FOUND' },
  BadNodeIdInvalid: { kind: 'rejected', code: 'NOT_FOUND' },
};

/** `BadNoCommunication` → `OPCUA_NO_COMMUNICATION`. */
function codeOf(statusName: string): string {
  return `OPCUA_${statusName
    .replace(/^Bad/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()}`;
}

/** The OPC UA status a node-opcua error carries: the service fault's result, or a name in the message. */
function statusNameOf(error: unknown): string | undefined {
  const serviceResult = (error as { response?: { responseHeader?: { serviceResult?: { name?: unknown } } } })?.response
    ?.responseHeader?.serviceResult?.name;
  if (typeof serviceResult === 'string') return serviceResult;
  const message = error instanceof Error ? error.message : String(error);
  return /\b(Bad[A-Za-z]+)\b/.exec(message)?.[1];
}

/** One more node written in the same Write request as a value. */
export interface NodeWrite {
  nodeId: string;
  dataType: string;
  value: ParameterValue;
}

/** How the server answered one companion write. */
export interface CompanionResult {
  nodeId: string;
  good: boolean;
  status: string;
}

/** One certificate manager per folder and process: node-opcua creates the client certificate on first use. */
const certificateManagers = new Map<string, OPCUACertificateManager>();

export class OpcuaTransport {
  private connection?: Promise<Connection>;
  /** Why the last session ended, for health messages. */
  private lastLoss?: string;

  constructor(
    private readonly config: OpcuaConfig,
    private readonly label: string,
  ) {}

  /** Reads a node's value, data type, value rank and access level, and its object's lock, in one request. */
  async inspect(nodeId: string, lockNodeId?: string): Promise<NodeState> {
    return this.withSession('read', async (c, ua) => {
      const node = this.resolve(c, ua, nodeId);
      const { AttributeIds } = ua;
      const attributes = [AttributeIds.Value, AttributeIds.DataType, AttributeIds.ValueRank, AttributeIds.AccessLevel];
      const reads = attributes.map((attributeId) => ({ nodeId: node, attributeId }));
      const lockNode = lockNodeId === undefined ? undefined : this.resolveOptional(c, ua, lockNodeId);
      if (lockNode) reads.push({ nodeId: lockNode, attributeId: AttributeIds.Value });
      const response = await send<{ results?: DataValue[] | null }>(
        c.session,
        new ua.ReadRequest({ nodesToRead: reads, maxAge: 0, timestampsToReturn: ua.TimestampsToReturn.Neither }),
      );
      const [value, dataType, valueRank, accessLevel, lock] = response.results ?? [];
      if (!accessLevel)
        throw new TargetError('transient', 'BAD_ANSWER', `${this.label}: read answered without results`);
      this.check(value, 'read', nodeId);
      this.check(dataType, 'read', nodeId);
      const typeName = await this.builtInType(c, ua, dataType.value.value as NodeId);
      return {
        value: toParameterValue(value.value.value, typeName),
        dataType: typeName,
        valueRank: Number(valueRank.value.value ?? -1),
        writable: (Number(accessLevel.value.value ?? 0) & ua.AccessLevelFlag.CurrentWrite) !== 0,
        locked: lock !== undefined && lock.statusCode.isGood() && lock.value.value === true,
      };
    });
  }

  /**
   * Writes `value` as `dataType`, and in the same request the `companions` (e.g. the HMI's AI-changed
   * flag); resolves when the server answered Good for the value. The companions' own statuses are
   * returned: a flag the server refuses does not undo a value it applied.
   */
  async write(
    nodeId: string,
    dataType: string,
    value: ParameterValue,
    auditEntryId: string,
    companions: readonly NodeWrite[] = [],
  ): Promise<CompanionResult[]> {
    return this.withSession('write', async (c, ua) => {
      const writes = [{ nodeId, dataType, value }, ...companions];
      const request = new ua.WriteRequest({
        requestHeader: { auditEntryId },
        nodesToWrite: writes.map((w) => ({
          nodeId: this.resolve(c, ua, w.nodeId),
          attributeId: ua.AttributeIds.Value,
          value: { value: { dataType: ua.DataType[w.dataType as keyof typeof ua.DataType], value: w.value } },
        })),
      });
      // `session.write()` builds its own request header; sending the request keeps ours.
      const response = await send<{ results?: StatusCode[] | null }>(c.session, request);
      const status = response.results?.[0];
      if (!status) throw new TargetError('unknown', 'BAD_ANSWER', `${this.label}: write answered without a result`);
      if (status.isNotGood()) throw this.failure(status.name, 'write', nodeId);
      return companions.map((w, i) => {
        const result = response.results?.[i + 1];
        return { nodeId: w.nodeId, good: result !== undefined && !result.isNotGood(), status: result?.name ?? 'none' };
      });
    });
  }

  /** The server runs (ServerStatus.State is Running) and, when configured, the health node reads Good. */
  async checkHealth(): Promise<void> {
    await this.withSession('read', async (c, ua) => {
      const reads = [{ nodeId: ua.resolveNodeId('i=2259'), attributeId: ua.AttributeIds.Value }];
      if (this.config.healthNodeId) {
        reads.push({ nodeId: this.resolve(c, ua, this.config.healthNodeId), attributeId: ua.AttributeIds.Value });
      }
      const response = await send<{ results?: DataValue[] | null }>(
        c.session,
        new ua.ReadRequest({ nodesToRead: reads, maxAge: 0, timestampsToReturn: ua.TimestampsToReturn.Neither }),
      );
      const [state, health] = response.results ?? [];
      if (!state) throw new TargetError('transient', 'BAD_ANSWER', `${this.label}: read answered without results`);
      this.check(state, 'read', 'ServerStatus.State');
      if (state.value.value !== ua.ServerState.Running) {
        throw new TargetError(
          'transient',
          'SERVER_NOT_RUNNING',
          `${this.label}: server state is ${String(ua.ServerState[state.value.value as number])}`,
        );
      }
      if (health) this.check(health, 'read', this.config.healthNodeId ?? '');
    });
  }

  async close(): Promise<void> {
    const pending = this.connection;
    this.connection = undefined;
    if (!pending) return;
    const connection = await pending.catch(() => undefined);
    if (connection) await this.disconnect(connection, 'closed by Loopgate');
  }

  private async withSession<T>(
    op: 'read' | 'write',
    run: (connection: Connection, ua: NodeOpcua) => Promise<T>,
  ): Promise<T> {
    const ua = await loadNodeOpcua();
    for (let attempt = 1; ; attempt += 1) {
      const connection = await this.connected(ua);
      try {
        return await this.attempt(op, connection, ua, run);
      } catch (error) {
        if (error instanceof TargetError) throw error;
        const status = statusNameOf(error);
        // The server dropped the session (restart, timeout, revoked user) before processing the
        // request: open a new session and send it once more; a refused login then ends as auth.
        if (status && SESSION_GONE.has(status) && attempt === 1) {
          await this.drop(connection, status);
          continue;
        }
        throw this.lost(connection, op, error);
      }
    }
  }

  private async attempt<T>(
    op: 'read' | 'write',
    connection: Connection,
    ua: NodeOpcua,
    run: (connection: Connection, ua: NodeOpcua) => Promise<T>,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TargetError(
              op === 'write' ? 'unknown' : 'transient',
              'TIMEOUT',
              `${this.label}: no answer within ${this.config.requestTimeoutMs} ms`,
            ),
          ),
        this.config.requestTimeoutMs,
      );
    });
    try {
      return await Promise.race([run(connection, ua), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A request that failed without a status for it: the session or the connection is gone. */
  private lost(connection: Connection, op: 'read' | 'write', error: unknown): TargetError {
    const status = statusNameOf(error);
    void this.drop(connection, status ?? 'connection lost');
    if (status && AUTH.has(status)) {
      return new TargetError('auth', 'AUTH_FAILED', `${this.label}: the server refused the session (${status})`);
    }
    if (status && SESSION_GONE.has(status)) {
      return new TargetError('transient', 'SESSION_LOST', `${this.label}: ${status}, the request was not processed`);
    }
    if (status && TRANSIENT.has(status)) {
      return new TargetError('transient', codeOf(status), `${this.label}: ${status}, the request was not processed`);
    }
    return new TargetError(
      op === 'write' ? 'unknown' : 'transient',
      'CONNECTION_DROPPED',
      `${this.label}: connection lost during the ${op}${status ? ` (${status})` : ''}`,
    );
  }

  private connected(ua: NodeOpcua): Promise<Connection> {
    if (!this.connection) {
      const pending = this.connect(ua);
      this.connection = pending;
      pending.catch(() => {
        if (this.connection === pending) this.connection = undefined;
      });
    }
    return this.connection;
  }

  private async connect(ua: NodeOpcua): Promise<Connection> {
    const client = ua.OPCUAClient.create({
      applicationName: 'Loopgate',
      endpointMustExist: false,
      // Loopgate reconnects on the next request instead: a request queued inside node-opcua
      // during a reconnect would reach the server after the adapter had reported it failed.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
      securityMode: ua.MessageSecurityMode[this.config.securityMode],
      securityPolicy: ua.SecurityPolicy[this.config.securityPolicy],
      clientCertificateManager: this.certificateManager(ua),
    });
    const connecting = (async () => {
      await client.connect(this.config.endpointUrl);
      let session: ClientSession;
      try {
        session = await client.createSession(this.identity(ua));
      } catch (error) {
        const status = statusNameOf(error);
        if (status && AUTH.has(status)) {
          throw new TargetError('auth', 'AUTH_FAILED', `${this.label}: the server refused the session (${status})`);
        }
        throw error;
      }
      const namespaces = await session.readNamespaceArray();
      return { client, session, namespaces };
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TargetError(
              'transient',
              'CONNECT_TIMEOUT',
              `${this.label}: no session within ${this.config.connectTimeoutMs} ms`,
            ),
          ),
        this.config.connectTimeoutMs,
      );
    });
    try {
      const connection = await Promise.race([connecting, timeout]);
      client.on('connection_lost', () => void this.drop(connection, 'connection lost'));
      client.on('close', () => void this.drop(connection, 'connection closed'));
      connection.session.on('session_closed', () => void this.drop(connection, 'session closed by the server'));
      return connection;
    } catch (error) {
      // Nothing was sent for the caller yet: whatever failed here is worth trying again, except credentials.
      connecting
        .then(
          (c) => c.session.close(),
          () => undefined,
        )
        .catch((e: unknown) => this.noteLoss(e));
      client.disconnect().catch((e: unknown) => this.noteLoss(e));
      if (error instanceof TargetError) throw error;
      const status = statusNameOf(error);
      this.lastLoss = status ?? 'connect failed';
      if (status?.startsWith('BadCertificate')) {
        // Trusting a server certificate is a commissioning step; retrying does not change it.
        throw new TargetError(
          'auth',
          'CERTIFICATE_UNTRUSTED',
          `${this.label}: the server certificate is not trusted (${status})`,
        );
      }
      // No `cause`: node-opcua's connect errors carry request objects, and the identity with them.
      throw new TargetError(
        'transient',
        'CONNECTION_REFUSED',
        `${this.label}: cannot open a session at ${this.config.endpointUrl}${status ? ` (${status})` : ''}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forgets `connection` (the next request opens a new one) and disconnects it in the background. */
  private async drop(connection: Connection, why: string): Promise<void> {
    const current = this.connection;
    if (!current) return;
    const active = await current.catch(() => undefined);
    if (active !== connection) return;
    this.connection = undefined;
    await this.disconnect(connection, why);
  }

  private async disconnect(connection: Connection, why: string): Promise<void> {
    this.lastLoss = why;
    await connection.session.close(false).catch((e: unknown) => this.noteLoss(e));
    await connection.client.disconnect().catch((e: unknown) => this.noteLoss(e));
  }

  private noteLoss(error: unknown): void {
    this.lastLoss = statusNameOf(error) ?? (error instanceof Error ? error.message : String(error));
  }

  private identity(ua: NodeOpcua): UserIdentityInfo {
    const user = this.config.user;
    if (!user) return { type: ua.UserTokenType.Anonymous };
    return { type: ua.UserTokenType.UserName, userName: user.username, password: user.password.reveal() };
  }

  private certificateManager(ua: NodeOpcua): OPCUACertificateManager {
    const key = `${this.config.pkiDir}|${this.config.trustUnknownServerCertificate}`;
    let manager = certificateManagers.get(key);
    if (!manager) {
      manager = new ua.OPCUACertificateManager({
        rootFolder: this.config.pkiDir,
        automaticallyAcceptUnknownCertificate: this.config.trustUnknownServerCertificate,
      });
      certificateManagers.set(key, manager);
    }
    return manager;
  }

  /** Parses a node id; `nsu=<uri>;…` is resolved against this server's namespace array. */
  private resolve(c: Connection, ua: NodeOpcua, text: string): NodeId {
    const resolved = this.resolveOptional(c, ua, text);
    if (!resolved)
      throw new TargetError('rejected', 'NOT_FOUND', `${this.label}: the server has no namespace for ${text}`);
    return resolved;
  }

  private resolveOptional(c: Connection, ua: NodeOpcua, text: string): NodeId | undefined {
    let nodeText = text;
    const expanded = /^nsu=([^;]+);(.+)$/.exec(text);
    if (expanded) {
      const index = c.namespaces.indexOf(expanded[1]);
      if (index < 0) return undefined;
      nodeText = `ns=${index};${expanded[2]}`;
    }
    try {
      return ua.resolveNodeId(nodeText);
    } catch (error) {
      throw new TargetError('rejected', 'INVALID_ADDRESS', `${this.label}: ${text} is not an OPC UA node id`, {
        cause: error,
      });
    }
  }

  /** The built-in type behind a DataType node id (`i=11` → `Double`; subtypes such as Duration resolved). */
  private async builtInType(c: Connection, ua: NodeOpcua, dataType: NodeId): Promise<string> {
    const direct = dataType.namespace === 0 && typeof dataType.value === 'number' && dataType.value <= 25;
    const builtIn = direct ? (dataType.value as number) : await c.session.getBuiltInDataType(dataType);
    return ua.DataType[builtIn] ?? 'Null';
  }

  private check(dataValue: DataValue, op: 'read' | 'write', what: string): void {
    const status: StatusCode = dataValue.statusCode;
    if (status.isGood() || status.isGoodish()) return;
    throw this.failure(status.name, op, what);
  }

  private failure(statusName: string, op: 'read' | 'write', what: string): TargetError {
    const message = `${this.label}: ${statusName} for ${what}`;
    const stable = STABLE[statusName];
    if (stable) return new TargetError(stable.kind, stable.code, message);
    if (TRANSIENT.has(statusName)) return new TargetError('transient', codeOf(statusName), message);
    if (OUTCOME_UNKNOWN.has(statusName))
      return new TargetError(op === 'write' ? 'unknown' : 'transient', 'TIMEOUT', message);
    return new TargetError('rejected', codeOf(statusName), message);
  }

  /** Why the last session ended, if one did. */
  get lastLossReason(): string | undefined {
    return this.lastLoss;
  }
}

/** A Variant's value as Loopgate's plain value; `null` for what has no plain form. */
function toParameterValue(value: unknown, dataType: string): ParameterValue | null {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if ((dataType === 'Int64' || dataType === 'UInt64') && Array.isArray(value) && value.length === 2) {
    return Number(value[0]) * 2 ** 32 + Number(value[1]);
  }
  const text = (value as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : null;
}
