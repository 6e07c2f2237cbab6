import {
  API_PREFIX,
  ApiError,
  createLoopgateClient,
  type ApiErrorBody,
  type LoopgateClient,
  type DecisionRecord,
  type KpiSampleReport,
  type RuleSetSummary,
  type RuleSetVersion,
  type ValidationIssue,
  type WriteBackOutcome,
  type WriteBackRequest,
} from '@loopgate/contracts';

/**
 * Kinds of failure talking to the gateway. `unreachable`, `timeout` and `server` are transient
 * (safe to retry: write-back requests are idempotent by `requestId`); the others are final.
 */
export type GatewayErrorKind = 'unreachable' | 'timeout' | 'server' | 'auth' | 'rejected' | 'not-found' | 'protocol';

/**
 * The shared `ApiError` (code, path, message and issues of the gateway's answer) with what the
 * palette needs to decide on a retry: the kind of failure and the `Retry-After` the gateway asked for.
 */
export class GatewayError extends ApiError {
  constructor(
    readonly kind: GatewayErrorKind,
    /** Stable code: the gateway's own (`VALIDATION_FAILED`, …) or ours (`GATEWAY_UNREACHABLE`, `HTTP_503`, …). */
    code: string,
    message: string,
    readonly statusCode?: number,
    issues?: ValidationIssue[],
    options?: { cause?: unknown; retryAfterSeconds?: number; path?: string },
  ) {
    super(statusCode ?? 0, code, message, issues ?? [], options?.path);
    this.name = 'GatewayError';
    if (options?.cause !== undefined) this.cause = options.cause;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** How long the gateway asked the caller to wait (`Retry-After` of a 429 or 503), in seconds. */
  readonly retryAfterSeconds?: number;

  get transient(): boolean {
    return this.kind === 'unreachable' || this.kind === 'timeout' || this.kind === 'server';
  }
}

export interface GatewayClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:1880`; `/api/v1` is appended. */
  baseUrl: string;
  /** Service token sent as `Authorization: Bearer …`. */
  token?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

/**
 * The palette's only way to the gateway: JSON over HTTP with the service token. Nodes never
 * talk to an MES; this client is the one place that does I/O to Loopgate.
 *
 * @example
 * const client = new GatewayClient({ baseUrl: 'http://127.0.0.1:1880', token });
 * const outcome = await client.submitWriteBack(request);
 */
export class GatewayClient {
  readonly baseUrl: string;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly api: LoopgateClient;

  constructor(options: GatewayClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.api = createLoopgateClient({ baseUrl: this.baseUrl, token: () => this.token });
  }

  /** Full URL of an API path, e.g. `url('/writebacks')` → `http://host:port/api/v1/writebacks`. */
  url(path: string): string {
    return `${this.baseUrl}${API_PREFIX}${path}`;
  }

  /** Headers for requests made outside this client (the outcome stream). */
  authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  submitWriteBack(request: WriteBackRequest, signal?: AbortSignal): Promise<WriteBackOutcome> {
    return this.call('POST /writebacks', (init) => this.api.POST('/writebacks', { body: request, ...init }), signal);
  }

  getWriteBack(commandId: string, signal?: AbortSignal): Promise<WriteBackOutcome> {
    return this.call(
      `GET /writebacks/${commandId}`,
      (init) => this.api.GET('/writebacks/{commandId}', { params: { path: { commandId } }, ...init }),
      signal,
    );
  }

  listRuleSets(signal?: AbortSignal): Promise<RuleSetSummary[]> {
    return this.call('GET /rulesets', (init) => this.api.GET('/rulesets', init), signal);
  }

  /** The target instances the gateway is configured with (`GET /targets`), kind and name only. */
  async listTargets(signal?: AbortSignal): Promise<{ instance: string; kind: string }[]> {
    const { targets } = await this.call('GET /targets', (init) => this.api.GET('/targets', init), signal);
    return targets.map((t) => ({ instance: t.instance, kind: t.kind }));
  }

  listRuleSetVersions(ruleSetId: string, signal?: AbortSignal): Promise<Omit<RuleSetVersion, 'content'>[]> {
    return this.call(
      `GET /rulesets/${ruleSetId}/versions`,
      (init) => this.api.GET('/rulesets/{id}/versions', { params: { path: { id: ruleSetId } }, ...init }),
      signal,
    );
  }

  /** A published version, or the latest published one. */
  getRuleSetVersion(ruleSetId: string, version: number | 'latest', signal?: AbortSignal): Promise<RuleSetVersion> {
    return this.call(
      `GET /rulesets/${ruleSetId}/versions/${version}`,
      (init) =>
        this.api.GET('/rulesets/{id}/versions/{version}', {
          params: { path: { id: ruleSetId, version: String(version) } },
          ...init,
        }),
      signal,
    );
  }

  async recordDecision(decision: DecisionRecord, signal?: AbortSignal): Promise<void> {
    await this.call('POST /decisions', (init) => this.api.POST('/decisions', { body: decision, ...init }), signal);
  }

  /** Reports one KPI sample for the effect checks of write-backs (`POST /autonomy/kpi-samples`). */
  async recordKpiSample(sample: KpiSampleReport, signal?: AbortSignal): Promise<void> {
    await this.call(
      'POST /autonomy/kpi-samples',
      (init) => this.api.POST('/autonomy/kpi-samples', { body: sample, ...init }),
      signal,
    );
  }

  /** One call of the typed client, its failures told apart: unreachable, timeout, protocol, or the gateway's answer. */
  private async call<Data>(
    what: string,
    send: (init: { signal: AbortSignal }) => Promise<{ data?: Data; error?: unknown; response: Response }>,
    signal?: AbortSignal,
  ): Promise<Exclude<Data, undefined>> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let result: { data?: Data; error?: unknown; response: Response };
    try {
      result = await send({ signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof SyntaxError)
        throw new GatewayError('protocol', 'UNEXPECTED_BODY', `${what} answered with non-JSON`, undefined, undefined, {
          cause: err,
        });
      if (timeout.aborted) {
        throw new GatewayError(
          'timeout',
          'GATEWAY_TIMEOUT',
          `no answer from ${what} at ${this.baseUrl} within ${this.timeoutMs} ms`,
          undefined,
          undefined,
          { cause: err },
        );
      }
      const cause = (err as { cause?: { code?: string } }).cause;
      throw new GatewayError(
        'unreachable',
        'GATEWAY_UNREACHABLE',
        `gateway unreachable at ${this.baseUrl}${cause?.code ? ` (${cause.code})` : ''}`,
        undefined,
        undefined,
        { cause: err },
      );
    }
    const { response } = result;
    if (response.ok) return result.data as Exclude<Data, undefined>;
    throw errorFromResponse(what, response.status, result.error, retryAfterOf(response.headers.get('retry-after')));
  }
}

/** `Retry-After` in whole seconds (an HTTP date is read as the seconds until it); undefined when absent. */
function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function errorFromResponse(what: string, status: number, body: unknown, retryAfterSeconds?: number): GatewayError {
  const api = ApiError.fromAnswer(status, body);
  const message = `${what}: ${status} ${isApiErrorBody(body) ? api.message : 'error'}`;
  const options = { retryAfterSeconds, ...(api.path ? { path: api.path } : {}) };
  if (status === 401 || status === 403) return new GatewayError('auth', api.code, message, status, api.issues, options);
  if (status === 404) return new GatewayError('not-found', api.code, message, status, api.issues, options);
  if (status === 408 || status === 429 || status >= 500)
    return new GatewayError('server', api.code, message, status, api.issues, options);
  return new GatewayError('rejected', api.code, message, status, api.issues, options);
}

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as ApiErrorBody).code === 'string';
}
