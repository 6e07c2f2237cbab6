import { answer, ApiError, createLoopgateClient, type Answer, type LoopgateClient } from '@loopgate/contracts';
import { CliError, EXIT } from './cli-error';

/** How the CLI reaches the gateway and who it is there. */
export interface ConnectionOptions {
  url: string;
  token?: string;
  user?: string;
  password?: string;
}

/** Maps an HTTP failure (of the gateway or the Node-RED admin API) to the CLI's exit codes, keeping its stable code. */
export async function failureOf(response: Response, what: string): Promise<CliError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  return cliErrorOf(ApiError.fromAnswer(response.status, body, response.statusText), what);
}

export async function send(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new CliError(
      EXIT.unavailable,
      'UNREACHABLE',
      `${what}: cannot reach ${new URL(url).origin}: ${(error as Error).message}`,
    );
  }
}

/** The exit code and CliError of a refusal the typed client reports. */
export function cliErrorOf(error: ApiError, what: string): CliError {
  if (error.code === 'UNREACHABLE') return new CliError(EXIT.unavailable, 'UNREACHABLE', `${what}: ${error.message}`);
  const message = `${what}: ${error.message} (HTTP ${error.status})`;
  if (error.status === 401 || error.status === 403) return new CliError(EXIT.auth, error.code, message, error.issues);
  if (error.status === 409) return new CliError(EXIT.conflict, error.code, message, error.issues);
  if (error.status >= 500) return new CliError(EXIT.unavailable, error.code, message);
  return new CliError(EXIT.issues, error.code, message, error.issues);
}

/** The gateway's REST API under `/api/v1` through the one typed client, with a session or service token. */
export class GatewayClient {
  readonly api: LoopgateClient;

  private constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {
    this.api = createLoopgateClient({ baseUrl, token: () => token, timeoutMs: 60_000 });
  }

  /** Uses `token`, or signs in with `user` and `password`. */
  static async connect(options: ConnectionOptions): Promise<GatewayClient> {
    const baseUrl = options.url.replace(/\/+$/, '');
    if (options.token) return new GatewayClient(baseUrl, options.token);
    if (!options.user || !options.password) {
      throw new CliError(
        EXIT.auth,
        'NO_CREDENTIALS',
        'give --token (or LOOPGATE_TOKEN), or --user with the password in LOOPGATE_PASSWORD',
      );
    }
    const anonymous = createLoopgateClient({ baseUrl, timeoutMs: 60_000 });
    const login = await GatewayClient.answer(
      'signing in',
      anonymous.POST('/auth/login', { body: { username: options.user, password: options.password } }),
    );
    return new GatewayClient(baseUrl, login.token);
  }

  /** The body of a typed call's success; a refusal becomes the CLI's error with its exit code. */
  static async answer<Data>(
    what: string,
    call: Promise<{ data?: Data; error?: unknown; response: Response }>,
  ): Promise<Answer<Data>> {
    try {
      return await answer(call);
    } catch (error) {
      throw error instanceof ApiError ? cliErrorOf(error, what) : error;
    }
  }

  /** `GatewayClient.answer` for this client's calls. */
  run<Data>(what: string, call: Promise<{ data?: Data; error?: unknown; response: Response }>): Promise<Answer<Data>> {
    return GatewayClient.answer(what, call);
  }
}
