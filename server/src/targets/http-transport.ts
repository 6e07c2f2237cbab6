import { request } from 'undici';
import { TargetError } from './adapter';
import { redact, type Secret } from './secret';

/*
 * The HTTP plumbing target transports share: one request with a timeout, and the classification
 * of what went wrong into `TargetError` kinds. Only a target's `transport.ts` calls this.
 */

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded` (OAuth token requests). */
  form?: Record<string, string>;
  timeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

export interface HttpTarget {
  /** Names the target in messages, e.g. `Opcenter opcenter-line1`. */
  label: string;
  /** Credentials to scrub from any text an answer puts into an error message. */
  secrets: readonly Secret[];
}

/** GET has no effect at the MES, so when it times out or loses its connection it can simply be retried. */
const SAFE_METHODS = new Set(['GET']);

/** Codes of network failures that mean the request never reached the MES. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function networkCode(error: unknown): string | undefined {
  const failure = error as { code?: unknown; cause?: { code?: unknown } };
  if (typeof failure.code === 'string') return failure.code;
  return typeof failure.cause?.code === 'string' ? failure.cause.code : undefined;
}

/** The path of a URL without query: enough to say which call failed, nothing that could carry a secret. */
function where(call: HttpCall): string {
  return `${call.method} ${new URL(call.url).pathname}`;
}

/**
 * Sends one request (undici's `request`: kept-alive connections, a third of `fetch`'s CPU per call,
 * which counted on every write and read-back). Redirects are not followed: a MES that answers one
 * is refused with its status. Network failures become `TargetError`s: refused before sending →
 * `transient`; timeout or dropped connection after sending → `unknown` (or `transient` for a GET).
 * HTTP answers, errors included, are returned for the caller to classify (see `failureOf`).
 */
export async function sendHttp(target: HttpTarget, call: HttpCall): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  let body: string | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(call.form).toString();
  }
  const safe = SAFE_METHODS.has(call.method);
  // One bound on the whole exchange, answer body included.
  const signal = AbortSignal.timeout(call.timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await request(call.url, { method: call.method, headers, body, signal });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    throw networkFailure(target, call, safe, error);
  }
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      // A proxy's HTML error page: keep it as text, scrubbed, for the message.
      parsed = redact(text.slice(0, 200), target.secrets);
    }
  }
  return { status, body: parsed };
}

function networkFailure(target: HttpTarget, call: HttpCall, safe: boolean, error: unknown): TargetError {
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new TargetError(
      safe ? 'transient' : 'unknown',
      'TIMEOUT',
      `${target.label}: no answer within ${call.timeoutMs} ms to ${where(call)}`,
    );
  }
  const code = networkCode(error);
  if (code !== undefined && NOT_SENT.has(code)) {
    return new TargetError(
      'transient',
      'CONNECTION_REFUSED',
      `${target.label}: cannot connect (${code}) for ${where(call)}`,
    );
  }
  return new TargetError(
    safe ? 'transient' : 'unknown',
    'CONNECTION_DROPPED',
    `${target.label}: connection lost during ${where(call)} (${code ?? 'no answer'})`,
  );
}

/** The MES's own error code and message from an OData-style `{error:{code,message}}` body, if any. */
export function mesError(body: unknown): { code?: string; message?: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error !== 'object' || error === null) return {};
  return {
    code: typeof error.code === 'string' ? error.code : undefined,
    message: typeof error.message === 'string' ? error.message : undefined,
  };
}

/**
 * The default classification of an HTTP error answer: 401 → `auth`; 423 → `locked`; 408, 429 and
 * 5xx → `transient`; other 4xx → `rejected`. Targets map their own error codes first.
 */
export function failureOf(target: HttpTarget, call: HttpCall, answer: HttpAnswer): TargetError {
  const { code, message } = mesError(answer.body);
  const said = message ? `: ${redact(message.slice(0, 300), target.secrets)}` : '';
  const text = `${target.label} answered ${answer.status} to ${where(call)}${said}`;
  const status = answer.status;
  if (status === 401) return new TargetError('auth', 'AUTH_FAILED', text);
  if (status === 403) return new TargetError('rejected', 'ACCESS_DENIED', text);
  if (status === 423) return new TargetError('locked', 'RECORD_LOCKED', text);
  if (status === 408 || status === 429 || status >= 500) return new TargetError('transient', `HTTP_${status}`, text);
  if (status === 404) return new TargetError('rejected', 'NOT_FOUND', text);
  const stable = code ? `MES_${code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}` : 'MES_REJECTED';
  return new TargetError('rejected', stable, text);
}
