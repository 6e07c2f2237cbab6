import { API_PREFIX, type ApiErrorBody, type LoginResponse } from '@loopgate/contracts';
import { CliError, EXIT } from './cli-error';

/** How the CLI reaches the gateway and who it is there. */
export interface ConnectionOptions {
  url: string;
  token?: string;
  user?: string;
  password?: string;
}

/** Maps an HTTP failure to the CLI's exit codes, keeping the gateway's stable code. */
export async function failureOf(response: Response, what: string): Promise<CliError> {
  let body: Partial<ApiErrorBody> = {};
  try {
    body = (await response.json()) as Partial<ApiErrorBody>;
  } catch {
    body = {};
  }
  const code = typeof body.code === 'string' ? body.code : `HTTP_${response.status}`;
  const message = `${what}: ${body.message ?? response.statusText} (HTTP ${response.status})`;
  if (response.status === 401 || response.status === 403) return new CliError(EXIT.auth, code, message, body.issues);
  if (response.status === 409) return new CliError(EXIT.conflict, code, message, body.issues);
  if (response.status >= 500) return new CliError(EXIT.unavailable, code, message);
  return new CliError(EXIT.issues, code, message, body.issues);
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

/** The gateway's REST API under `/api/v1`, with a session or service token. */
export class GatewayClient {
  private constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

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
    const response = await send(
      `${baseUrl}${API_PREFIX}/auth/login`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: options.user, password: options.password }),
      },
      'signing in',
    );
    if (!response.ok) throw await failureOf(response, 'signing in');
    const login = (await response.json()) as LoginResponse;
    return new GatewayClient(baseUrl, login.token);
  }

  async request<T>(method: string, path: string, body?: unknown, what = `${method} ${path}`): Promise<T> {
    const response = await this.raw(method, path, body, what);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The response itself (for streams and 404 checks); throws for any other failure. */
  async raw(
    method: string,
    path: string,
    body?: unknown,
    what = `${method} ${path}`,
    allow: number[] = [],
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await send(
      `${this.baseUrl}${API_PREFIX}${path}`,
      { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) },
      what,
    );
    if (!response.ok && !allow.includes(response.status)) throw await failureOf(response, what);
    return response;
  }
}
