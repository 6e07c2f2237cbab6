import type { ApiErrorBody, LoginResponse } from '@loopgate/contracts';
import { API_PREFIX } from '@loopgate/contracts';

/** A failed API call, with the gateway's stable error code. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: Partial<ApiErrorBody>,
    readonly call: string,
  ) {
    super(`${call} → ${status} ${body.code ?? ''} ${body.message ?? ''}`.trim());
    this.name = 'ApiCallError';
  }
}

/** A small client of the public REST API, for the demo set-up, tests and benchmarks. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private token?: string,
  ) {}

  static async signIn(baseUrl: string, username: string, password: string): Promise<ApiClient> {
    const client = new ApiClient(baseUrl);
    const session = await client.post<LoginResponse>('/auth/login', { username, password });
    client.token = session.token;
    return client;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl}${API_PREFIX}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) throw new ApiCallError(response.status, (parsed ?? {}) as ApiErrorBody, `${method} ${path}`);
    return parsed as T;
  }
}
