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
 * @example const targets = await answer(loopgate.GET('/targets'));
 */
export const loopgate: LoopgateClient = createLoopgateClient({
  baseUrl: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  token: () => getSession()?.token,
  credentials: 'same-origin',
});
loopgate.use({
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

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
