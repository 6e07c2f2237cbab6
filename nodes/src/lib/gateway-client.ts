import {
  API_PREFIX,
  ApiPaths,
  type ApiErrorBody,
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

export class GatewayError extends Error {
  constructor(
    readonly kind: GatewayErrorKind,
    /** Stable code: the gateway's own (`VALIDATION_FAILED`, …) or ours (`GATEWAY_UNREACHABLE`, `HTTP_503`, …). */
    readonly code: string,
    message: string,
    readonly statusCode?: number,
    readonly issues?: ValidationIssue[],
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'GatewayError';
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

  constructor(options: GatewayClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 10_000;
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
    return this.request<WriteBackOutcome>('POST', ApiPaths.writebacks, request, signal);
  }

  getWriteBack(commandId: string, signal?: AbortSignal): Promise<WriteBackOutcome> {
    return this.request<WriteBackOutcome>('GET', ApiPaths.writeback(commandId), undefined, signal);
  }

  async listRuleSets(signal?: AbortSignal): Promise<RuleSetSummary[]> {
    const body = await this.request<unknown>('GET', ApiPaths.ruleSets, undefined, signal);
    // Accept a bare array or a page object ({ items: [...] }).
    const items = Array.isArray(body) ? body : (body as { items?: unknown })?.items;
    if (!Array.isArray(items)) throw new GatewayError('protocol', 'UNEXPECTED_BODY', 'ruleset list is not an array');
    return items.filter((i): i is RuleSetSummary => typeof (i as RuleSetSummary)?.id === 'string');
  }

  /** The target instances the gateway is configured with (`GET /targets`), kind and name only. */
  async listTargets(signal?: AbortSignal): Promise<{ instance: string; kind: string }[]> {
    const body = await this.request<unknown>('GET', ApiPaths.targets, undefined, signal);
    const items = Array.isArray(body) ? body : (body as { targets?: unknown })?.targets;
    if (!Array.isArray(items)) throw new GatewayError('protocol', 'UNEXPECTED_BODY', 'target list is not an array');
    return items
      .filter(
        (t): t is { instance: string; kind: string } => typeof (t as { instance?: unknown })?.instance === 'string',
      )
      .map((t) => ({ instance: t.instance, kind: t.kind }));
  }

  async listRuleSetVersions(ruleSetId: string, signal?: AbortSignal): Promise<Omit<RuleSetVersion, 'content'>[]> {
    const body = await this.request<unknown>('GET', ApiPaths.ruleSetVersions(ruleSetId), undefined, signal);
    const items = Array.isArray(body) ? body : (body as { items?: unknown })?.items;
    if (!Array.isArray(items)) throw new GatewayError('protocol', 'UNEXPECTED_BODY', 'version list is not an array');
    return items as RuleSetVersion[];
  }

  /** A published version, or the latest published one. */
  getRuleSetVersion(ruleSetId: string, version: number | 'latest', signal?: AbortSignal): Promise<RuleSetVersion> {
    const path = version === 'latest' ? ApiPaths.ruleSetLatest(ruleSetId) : ApiPaths.ruleSetVersion(ruleSetId, version);
    return this.request<RuleSetVersion>('GET', path, undefined, signal);
  }

  async recordDecision(decision: DecisionRecord, signal?: AbortSignal): Promise<void> {
    await this.request<unknown>('POST', ApiPaths.decisions, decision, signal);
  }

  /** Reports one KPI sample for the effect checks of write-backs (`POST /autonomy/kpi-samples`). */
  async recordKpiSample(sample: KpiSampleReport, signal?: AbortSignal): Promise<void> {
    await this.request<unknown>('POST', ApiPaths.kpiSamples, sample, signal);
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const url = this.url(path);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.authHeaders(),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (timeout.aborted) {
        throw new GatewayError(
          'timeout',
          'GATEWAY_TIMEOUT',
          `no answer from ${method} ${url} within ${this.timeoutMs} ms`,
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
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new GatewayError(
          'protocol',
          'UNEXPECTED_BODY',
          `${method} ${path} answered ${response.status} with non-JSON`,
          response.status,
          undefined,
          { cause: err },
        );
      }
    }
    if (response.ok) return parsed as T;
    throw errorFromResponse(method, path, response.status, parsed, retryAfterOf(response.headers.get('retry-after')));
  }
}

/** `Retry-After` in whole seconds (an HTTP date is read as the seconds until it); undefined when absent. */
function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function errorFromResponse(
  method: string,
  path: string,
  status: number,
  body: unknown,
  retryAfterSeconds?: number,
): GatewayError {
  const api = isApiErrorBody(body) ? body : undefined;
  const code = api?.code ?? `HTTP_${status}`;
  const message = `${method} ${path}: ${status} ${api?.message ?? 'error'}`;
  if (status === 401 || status === 403) return new GatewayError('auth', code, message, status, api?.issues);
  if (status === 404) return new GatewayError('not-found', code, message, status, api?.issues);
  if (status === 408 || status === 429 || status >= 500)
    return new GatewayError('server', code, message, status, api?.issues, { retryAfterSeconds });
  return new GatewayError('rejected', code, message, status, api?.issues);
}

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as ApiErrorBody).code === 'string';
}
