import { answer, API_PREFIX, ApiError, createLoopgateClient, type LoopgateClient } from '@loopgate/contracts';
import { getSession, setSession } from './session';

/** An error answer of the gateway, with its stable code, path and issues: the one class every client shares. */
export { ApiError };

const SESSION_ENDED = new Set(['UNAUTHENTICATED', 'SESSION_EXPIRED']);

type Query = Record<string, string | number | boolean | undefined>;

/** `/api/v1/audit?target=x` from a path and the query fields that are set. */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return `${API_PREFIX}${path}${search ? `?${search}` : ''}`;
}

/**
 * The console's typed client of the gateway, on the page's own origin with the session's bearer
 * token (a single sign-on session has none in the page: its HttpOnly cookie carries it). An
 * expired or revoked session ends the console's session, so it returns to the sign-in page.
 *
 * @example const targets = await answer(gateway.GET('/targets'));
 */
export const gateway: LoopgateClient = createLoopgateClient({
  baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  token: () => getSession()?.token,
  credentials: 'same-origin',
});
gateway.use({
  async onResponse({ response }) {
    // A wrong signature password is a 401 too, but only these end the session.
    if (response.status !== 401 || !getSession()) return undefined;
    const body = (await response
      .clone()
      .json()
      .catch(() => ({}))) as { code?: string };
    if (SESSION_ENDED.has(body.code ?? '')) setSession(null);
    return undefined;
  },
});

export { answer };

/**
 * Calls the gateway by path text through the same client (the pages that build paths and types
 * by hand); `gateway` with `answer` is the typed way.
 */
export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; query?: Query; signal?: AbortSignal; token?: string } = {},
): Promise<T> {
  const untyped = gateway as unknown as {
    request(
      method: string,
      url: string,
      init: { body?: unknown; signal?: AbortSignal; headers?: Record<string, string> },
    ): Promise<{ data?: T; error?: unknown; response: Response }>;
  };
  const url = apiUrl(path, options.query).slice(API_PREFIX.length);
  return (await answer(
    untyped.request(method, url, {
      ...(options.body !== undefined ? { body: options.body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {}),
    }),
  )) as T;
}

/** A list endpoint's items, whether it answers with an array or with `{ items | records | … }`. */
export function itemsOf<T>(body: unknown, ...keys: string[]): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    for (const key of [...keys, 'items', 'data', 'results']) {
      const value = (body as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value as T[];
    }
  }
  return [];
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
