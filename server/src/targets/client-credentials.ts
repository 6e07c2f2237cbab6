import { TargetError } from './adapter';
import { failureOf, sendHttp, type HttpAnswer, type HttpCall, type HttpTarget } from './http-transport';
import { Secret } from './secret';

/** Refresh this long before the token's announced expiry, so a call never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 30_000;

export interface ClientCredentialsConfig {
  tokenUrl: string;
  clientId: string;
  clientSecret: Secret;
  requestTimeoutMs: number;
}

/**
 * An OAuth 2.0 client-credentials grant for one target (Opcenter, SAP Digital Manufacturing):
 * the token is cached until shortly before it expires, concurrent callers share one token
 * request, a 401 fetches a new token once, and the token joins the target's secrets so no error
 * message carries it.
 */
export class ClientCredentials {
  private token?: { value: Secret; expiresAt: number };
  private pendingToken?: Promise<Secret>;

  constructor(
    private readonly target: HttpTarget,
    private readonly config: ClientCredentialsConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sends `call` with the bearer token; on a 401 fetches a new token once and sends again. */
  async send(call: HttpCall): Promise<HttpAnswer> {
    let answer = await this.sendWith(call, await this.bearer());
    if (answer.status === 401) {
      this.token = undefined;
      answer = await this.sendWith(call, await this.bearer());
    }
    return answer;
  }

  /** Forgets the cached token (the adapter closes). */
  forget(): void {
    this.token = undefined;
  }

  private sendWith(call: HttpCall, token: Secret): Promise<HttpAnswer> {
    return sendHttp(this.target, { ...call, headers: { ...call.headers, authorization: `Bearer ${token.reveal()}` } });
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
