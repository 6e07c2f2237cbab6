import type { IncomingMessage } from 'node:http';
import { UserError } from '../common/errors';

/** How much of a request body the gateway reads before refusing it, and how deep its JSON may nest. */
export interface BodyLimits {
  maxBytes: number;
  maxDepth: number;
}

/**
 * Limits per Node-RED route, applied in the gateway before anything parses the body: sign-in
 * bodies are tiny, flow deploys can be megabytes but are shallow, flow HTTP endpoints are in between.
 */
export const NODE_RED_BODY_LIMITS = {
  auth: { maxBytes: 16 * 1024, maxDepth: 4 },
  admin: { maxBytes: 5 * 1024 * 1024, maxDepth: 64 },
  flowsHttp: { maxBytes: 1024 * 1024, maxDepth: 32 },
} as const satisfies Record<string, BodyLimits>;

/**
 * Reads a request body, counting bytes as they arrive and refusing it (413 BODY_TOO_LARGE) as soon
 * as it passes `maxBytes`, before the rest is even received; a declared Content-Length over the
 * limit is refused without reading.
 */
export function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (error) {
        // Stop reading; the rest of the upload is discarded by the socket.
        req.pause();
        reject(error);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return finish(tooLarge(maxBytes));
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onError = (error: Error) => finish(error);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function tooLarge(maxBytes: number): UserError {
  return new UserError('BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, 413);
}

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of objects and arrays in a JSON text, found in one pass over the bytes
 * without parsing (brackets inside strings do not count). Stops counting once past `limit`.
 *
 * @example jsonDepth(Buffer.from('{"a":[1,{"b":"]]"}]}')) // 3
 */
export function jsonDepth(body: Buffer, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
  return deepest;
}

/** Nesting that urlencoded bodies express with brackets (`a[b][c]=1`), counted per key. */
function formDepth(body: Buffer): number {
  let deepest = 0;
  for (const pair of body.toString('latin1').split('&')) {
    const key = pair.split('=', 1)[0];
    const depth = (key.match(/%5B|\[/gi) ?? []).length;
    if (depth > deepest) deepest = depth;
  }
  return deepest;
}

/** Refuses (400 BODY_TOO_DEEP) a JSON or form body nested deeper than `maxDepth`. */
export function checkBodyDepth(body: Buffer, contentType: string | undefined, maxDepth: number): void {
  if (body.length === 0) return;
  const type = (contentType ?? '').toLowerCase();
  // Only JSON and form bodies are parsed into structures; text and binary bodies have no depth.
  const depth = type.includes('json')
    ? jsonDepth(body, maxDepth)
    : type.includes('x-www-form-urlencoded')
      ? formDepth(body)
      : 0;
  if (depth > maxDepth)
    throw new UserError('BODY_TOO_DEEP', `the request body nests deeper than ${maxDepth} levels`, 400);
}
