import { TargetError } from '../adapter';
import { ClientCredentials } from '../client-credentials';
import { failureOf, mesError, type HttpAnswer, type HttpCall, type HttpTarget } from '../http-transport';
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

/** Opcenter's error codes that mean someone else holds the record. */
const LOCK_CODES = new Set(['RecordLocked', 'LockedByOtherUser']);

/** Quotes a string as an OData literal (`'` doubled). */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export class OpcenterTransport {
  private readonly target: HttpTarget;
  private readonly credentials: ClientCredentials;

  constructor(
    private readonly config: OpcenterConfig,
    label: string,
    now: () => number = Date.now,
  ) {
    this.target = { label, secrets: [config.clientSecret] };
    this.credentials = new ClientCredentials(this.target, config, now);
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
    this.credentials.forget();
  }

  /** Sends with the bearer token (a new one once on a 401); a `TargetError` for an error answer. */
  private async authorized(call: HttpCall): Promise<HttpAnswer> {
    const answer = await this.credentials.send(call);
    if (answer.status >= 400) throw this.classify(call, answer);
    return answer;
  }

  private classify(call: HttpCall, answer: HttpAnswer): TargetError {
    const failure = failureOf(this.target, call, answer);
    const { code } = mesError(answer.body);
    if (code && LOCK_CODES.has(code)) return new TargetError('locked', 'RECORD_LOCKED', failure.message);
    return failure;
  }
}
