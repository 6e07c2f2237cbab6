import { TargetError } from '../adapter';
import { failureOf, mesError, sendHttp, type HttpAnswer, type HttpCall, type HttpTarget } from '../http-transport';
import { Secret } from '../secret';
import type { OpcenterConfig } from './config';

/*
 * The only file that talks to Opcenter: the client-credentials token, commands
 * (`POST …/odata/{Command}` with `{"command": {...}}`) and OData queries (`GET …/odata/{EntitySet}?$filter=`).
 */

/** What Opcenter answers to a command it accepted. */
export interface OpcenterCommandAnswer {
  Succeeded: boolean;
  TransactionId?: string;
  /** Id of what a create made. */
  Id?: string;
}

/** Refresh this long before the token's announced expiry, so a call never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 30_000;

/** Opcenter's error codes that mean someone else holds the record. */
const LOCK_CODES = new Set(['RecordLocked', 'LockedByOtherUser']);

/** Quotes a string as an OData literal (`'` doubled). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export class OpcenterTransport {
  private token?: { value: Secret; expiresAt: number };
  private pendingToken?: Promise<Secret>;
  private readonly target: HttpTarget;

  constructor(
    private readonly config: OpcenterConfig,
    label: string,
    private readonly now: () => number = Date.now,
  ) {
    this.target = { label, secrets: [config.clientSecret] };
  }

  private get odataBase(): string {
    return `${this.config.baseUrl}/sit-svc/application/${this.config.app}/odata`;
  }

  /** Runs command `name`; a `TargetError` when Opcenter refuses it or cannot be reached. */
  async command(name: string, command: Record<string, unknown>): Promise<OpcenterCommandAnswer> {
    const call: HttpCall = {
      method: 'POST',
      url: `${this.odataBase}/${name}`,
      json: { command },
      timeoutMs: this.config.requestTimeoutMs,
    };
    const answer = await this.authorized(call);
    const body = answer.body as Partial<OpcenterCommandAnswer> | undefined;
    if (body?.Succeeded !== true) {
      throw new TargetError('rejected', 'MES_REJECTED', `${this.target.label}: ${name} did not succeed`);
    }
    return body as OpcenterCommandAnswer;
  }

  /** Rows of `entitySet` matching the OData `filter`. */
  async query<T>(entitySet: string, filter: string): Promise<T[]> {
    const url = `${this.odataBase}/${entitySet}?$filter=${encodeURIComponent(filter)}`;
    const answer = await this.authorized({ method: 'GET', url, timeoutMs: this.config.requestTimeoutMs });
    const rows = (answer.body as { value?: unknown } | undefined)?.value;
    if (!Array.isArray(rows)) {
      throw new TargetError('transient', 'BAD_ANSWER', `${this.target.label}: ${entitySet} answer has no value array`);
    }
    return rows as T[];
  }

  /** The OData service document answers: the server is up and the credentials are good. */
  async ping(): Promise<void> {
    await this.authorized({ method: 'GET', url: `${this.odataBase}/`, timeoutMs: this.config.requestTimeoutMs });
  }

  close(): void {
    this.token = undefined;
  }

  /** Sends with the bearer token; on a 401 fetches a new token once and sends again. */
  private async authorized(call: HttpCall): Promise<HttpAnswer> {
    let answer = await this.send(call, await this.bearer());
    if (answer.status === 401) {
      this.token = undefined;
      answer = await this.send(call, await this.bearer());
    }
    if (answer.status >= 400) throw this.classify(call, answer);
    return answer;
  }

  private send(call: HttpCall, token: Secret): Promise<HttpAnswer> {
    return sendHttp(this.target, { ...call, headers: { ...call.headers, authorization: `Bearer ${token.reveal()}` } });
  }

  private classify(call: HttpCall, answer: HttpAnswer): TargetError {
    const failure = failureOf(this.target, call, answer);
    const { code } = mesError(answer.body);
    if (code && LOCK_CODES.has(code)) return new TargetError('locked', 'RECORD_LOCKED', failure.message);
    return failure;
  }

  /** The cached token, or a new one; concurrent callers share one token request. */
  private async bearer(): Promise<Secret> {
    if (this.token && this.token.expiresAt - EXPIRY_MARGIN_MS > this.now()) return this.token.value;
    this.pendingToken ??= this.fetchToken().finally(() => {
      this.pendingToken = undefined;
    });
    return this.pendingToken;
  }

  private async fetchToken(): Promise<Secret> {
    const call: HttpCall = {
      method: 'POST',
      url: this.config.tokenUrl,
      form: {
        grant_type: 'client_credentials',
        client_id: this.config.clientId,
        client_secret: this.config.clientSecret.reveal(),
      },
      // Getting a token changes nothing at the MES: a lost answer is simply asked again.
      timeoutMs: this.config.requestTimeoutMs,
    };
    let answer: HttpAnswer;
    try {
      answer = await sendHttp(this.target, call);
    } catch (error) {
      if (error instanceof TargetError && error.kind === 'unknown') {
        throw new TargetError('transient', error.code, error.message);
      }
      throw error;
    }
    if (answer.status === 400 || answer.status === 401) {
      throw new TargetError(
        'auth',
        'AUTH_FAILED',
        `${this.target.label}: token endpoint refused the client credentials`,
      );
    }
    if (answer.status >= 400) throw failureOf(this.target, call, answer);
    const body = answer.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof body?.access_token !== 'string') {
      throw new TargetError('transient', 'BAD_ANSWER', `${this.target.label}: token endpoint answered without a token`);
    }
    const token = new Secret(body.access_token);
    this.target.secrets = [this.config.clientSecret, token];
    const expiresIn = Number(body.expires_in);
    this.token = { value: token, expiresAt: this.now() + (Number.isFinite(expiresIn) ? expiresIn : 300) * 1000 };
    return token;
  }
}
