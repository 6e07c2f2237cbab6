import { API_PREFIX, type ApiErrorBody, type ValidationIssue } from '@loopgate/contracts';
import { getSession, setSession } from './session';

/** An error answer of the gateway, with its stable code and the issues it named. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

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
 * Calls the gateway with the session's bearer token. An expired or revoked session ends the
 * console's session, so it returns to the sign-in page.
 */
export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options: { body?: unknown; query?: Query; signal?: AbortSignal; token?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const session = getSession();
  // A single sign-on session has no token in the page: the HttpOnly cookie carries it.
  const token = options.token ?? session?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(apiUrl(path, options.query), {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
    signal: options.signal,
  });
  const text = await response.text();
  const body: unknown = text ? parseJson(text) : undefined;
  if (!response.ok) {
    const error = (body ?? {}) as Partial<ApiErrorBody>;
    // A wrong signature password is a 401 too, but only these end the session.
    if (response.status === 401 && session && SESSION_ENDED.has(error.code ?? '')) setSession(null);
    throw new ApiError(
      response.status,
      error.code ?? `HTTP_${response.status}`,
      error.message ?? response.statusText,
      error.issues ?? [],
    );
  }
  return body as T;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
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
