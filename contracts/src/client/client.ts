import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import { API_PREFIX } from '../api';
import type { ApiErrorBody, ValidationIssue } from '../errors';
import type { components, paths } from './api-types.generated';

/** The API's paths (below `/api/v1`) and the schemas of its bodies, generated from its OpenAPI document. */
export type { components as ApiComponents, paths as ApiRoutes } from './api-types.generated';

/** A named schema of the API, e.g. `ApiSchema<'WriteBackOutcome'>`. */
export type ApiSchema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** The typed client: `GET`, `POST`, … on the API's paths, with their parameters and bodies checked. */
export type LoopgateClient = Client<paths>;

/**
 * An answer of the gateway that is not a success, with its stable code, the request path it
 * refused and the issues it named; or a gateway that could not be reached (`UNREACHABLE`, status 0).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ValidationIssue[] = [],
    readonly path?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** From an error answer's status and body, whatever the body holds. */
  static fromAnswer(status: number, body: unknown, statusText = ''): ApiError {
    const error = (body && typeof body === 'object' ? body : {}) as Partial<ApiErrorBody>;
    return new ApiError(
      status,
      typeof error.code === 'string' ? error.code : `HTTP_${status}`,
      typeof error.message === 'string' ? error.message : typeof body === 'string' && body ? body : statusText,
      Array.isArray(error.issues) ? error.issues : [],
      typeof error.path === 'string' ? error.path : undefined,
    );
  }
}

export interface LoopgateClientOptions {
  /** The gateway's origin, e.g. `http://127.0.0.1:1880`; empty for the page's own origin (the console). */
  baseUrl: string;
  /** The bearer token (session or service token) to send, read for every request; none when it returns nothing. */
  token?: () => string | undefined;
  fetch?: ClientOptions['fetch'];
  /** Abort a request that has not answered after this many milliseconds. */
  timeoutMs?: number;
  /** Sent with every request (the console: `same-origin`, for its single sign-on cookie). */
  credentials?: 'omit' | 'same-origin' | 'include';
}

/**
 * The one client of the gateway's REST API, used by the palette, the CLI, the demo and the console.
 *
 * @example
 * const api = createLoopgateClient({ baseUrl: 'http://127.0.0.1:1880', token: () => token });
 * const outcome = await answer(api.GET('/writebacks/{commandId}', { params: { path: { commandId } } }));
 */
export function createLoopgateClient(options: LoopgateClientOptions): LoopgateClient {
  const client = createClient<paths>({
    baseUrl: `${options.baseUrl.replace(/\/+$/, '')}${API_PREFIX}`,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    headers: { Accept: 'application/json' },
  });
  const auth: Middleware = {
    onRequest({ request }) {
      // A call may carry its own token (the console's first call after a sign-in).
      const token = options.token?.();
      if (token && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${token}`);
      if (options.timeoutMs === undefined) return request;
      return new Request(request, {
        signal: AbortSignal.any([request.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
    },
  };
  client.use(auth);
  return client;
}

/** What `answer` resolves to: the success body, or nothing for an answer without one (204). */
export type Answer<Data> = [Exclude<Data, undefined>] extends [never] ? void : Exclude<Data, undefined>;

/**
 * The body of a successful answer, or an `ApiError`: one place where the API's failures are read.
 *
 * @example const list = await answer(api.GET('/targets'));
 */
export async function answer<Data>(
  call: Promise<{ data?: Data; error?: unknown; response: Response }>,
): Promise<Answer<Data>> {
  let result: { data?: Data; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError(0, 'UNREACHABLE', `cannot reach the gateway: ${reason}`);
  }
  if (!result.response.ok) throw ApiError.fromAnswer(result.response.status, result.error, result.response.statusText);
  return result.data as Answer<Data>;
}
