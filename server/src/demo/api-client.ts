import { answer, createLoopgateClient, type LoopgateClient } from '@loopgate/contracts';

/**
 * The demo's, tests' and benchmarks' handle on the gateway: the one typed client (`api`) with the
 * session or token it signed in with. `get`/`post`/`put` take any path below `/api/v1` through the
 * same client, for tests that probe paths as text; failures are the shared `ApiError`.
 */
export class ApiClient {
  readonly api: LoopgateClient;

  constructor(
    readonly baseUrl: string,
    private token?: string,
  ) {
    this.api = createLoopgateClient({ baseUrl, token: () => this.token });
  }

  static async signIn(baseUrl: string, username: string, password: string): Promise<ApiClient> {
    const client = new ApiClient(baseUrl);
    const session = await answer(client.api.POST('/auth/login', { body: { username, password } }));
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

  /** A call by path text (`/writebacks?limit=5`): the typed client's `request`, unchecked. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const untyped = this.api as unknown as {
      request(
        method: string,
        url: string,
        init?: { body?: unknown },
      ): Promise<{ data?: T; error?: unknown; response: Response }>;
    };
    return (await answer(untyped.request(method.toLowerCase(), path, body === undefined ? {} : { body }))) as T;
  }
}
