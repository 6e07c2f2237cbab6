import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { ApiErrorBody } from '@loopgate/contracts';
import { ThrottledError, UserError } from '../common/errors';
import { requestPath } from '../common/http-errors';
import { checkBodyDepth, NODE_RED_BODY_LIMITS, readLimitedBody, type BodyLimits } from './body-guard';
import { NODE_RED_ADMIN_ROOT, NODE_RED_HTTP_ROOT } from './child-protocol';
import { EDITOR_TOKEN_HEADER, type EditorUser } from './editor-token';

/** Who an editor request is from, and whether the browser's session cookie proved it. */
export interface EditorCaller {
  user: EditorUser;
  viaCookie: boolean;
}

/** What the proxy asks of the gateway: who is calling, sign-in, and what a deploy becomes. */
export interface RedGate {
  /** The editor user of a request (session cookie, session token or editor token); throws 401 for bad credentials. */
  editorCaller(req: http.IncomingMessage): Promise<EditorCaller | undefined>;
  /** A short-lived editor token for one forwarded request. */
  forwardToken(user: EditorUser): string;
  /** Refuses (401/403) a call to a flow HTTP endpoint without a session or an accepted token. */
  admitFlowEndpoint(req: http.IncomingMessage, endpoint: string): Promise<void>;
  /** Node-RED's `POST /red/auth/token` password grant, answered by the gateway with its own passwords. */
  passwordGrant(body: Buffer, contentType: string | undefined, address: string | undefined): Promise<unknown>;
  /** A deploy from the editor or CLI: answered by the gateway (pending approval), or `forward` to let it through. */
  deploy(request: FlowDeployRequest): Promise<{ status: number; body: unknown } | 'forward'>;
}

export interface FlowDeployRequest {
  body: Buffer;
  deploymentType: string;
  user: EditorUser;
  address?: string;
}

/** Where requests go: the child's port while it is up. */
export interface RedUpstream {
  port(): number | undefined;
}

/** Request headers that describe one hop, or carry the caller's credentials, which Node-RED never sees. */
const DROPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'cookie',
  'authorization',
  EDITOR_TOKEN_HEADER,
]);
const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'trailer', 'upgrade']);
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Area = 'admin' | 'flows-http';

function areaOf(pathname: string): Area | undefined {
  if (pathname === NODE_RED_ADMIN_ROOT || pathname.startsWith(`${NODE_RED_ADMIN_ROOT}/`)) return 'admin';
  if (pathname === NODE_RED_HTTP_ROOT || pathname.startsWith(`${NODE_RED_HTTP_ROOT}/`)) return 'flows-http';
  return undefined;
}

function errorBody(error: UserError, url: string | undefined): ApiErrorBody {
  return { statusCode: error.status, code: error.code, path: requestPath(url), message: error.message };
}

function forwardedHeaders(req: http.IncomingMessage, extra: Record<string, string>): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!DROPPED_REQUEST_HEADERS.has(name) && value !== undefined) headers[name] = value;
  }
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  return { ...headers, ...extra };
}

/** A cookie-carried write must come from the gateway's own origin: a second line behind SameSite. */
function refuseForeignOrigin(req: http.IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host !== req.headers.host)
    throw new UserError('FOREIGN_ORIGIN', 'a request with the session cookie came from another origin', 403);
}

/**
 * The gateway's reverse proxy to the Node-RED process for `/red/` and `/flows-http/` (HTTP and
 * WebSocket). Before anything is forwarded it authenticates the caller with the gateway's own
 * sessions and tokens, refuses oversized or over-deep bodies without parsing them, drops the
 * caller's cookie and token (Node-RED only sees a short-lived editor token), answers sign-in
 * itself, and hands editor deploys to flow change control.
 */
export class RedProxy {
  private readonly logger = new Logger('NodeRedProxy');

  constructor(
    private readonly upstream: RedUpstream,
    private readonly gate: RedGate,
    private readonly limits: Record<'auth' | 'admin' | 'flowsHttp', BodyLimits> = NODE_RED_BODY_LIMITS,
  ) {}

  /** Express-style middleware: handles the two Node-RED roots, passes everything else on. */
  readonly middleware = (req: http.IncomingMessage, res: http.ServerResponse, next: () => void): void => {
    const pathname = requestPath(req.url);
    const area = areaOf(pathname);
    if (!area) return next();
    this.handle(req, res, pathname, area).catch((error: unknown) => this.fail(res, error));
  };

  /** Forwards WebSocket upgrades (the editor's comms, flows' websocket nodes) after the same checks. */
  attachUpgrades(server: http.Server): void {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const pathname = requestPath(req.url);
      const area = areaOf(pathname);
      if (!area) return;
      this.upgrade(req, socket, head, pathname, area).catch((error: unknown) => {
        const status = error instanceof UserError ? error.status : 502;
        socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\n\r\n`);
        if (!(error instanceof UserError))
          this.logger.warn(`WebSocket to Node-RED failed: ${(error as Error).message}`);
      });
    });
  }

  private async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
    area: Area,
  ): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (area === 'flows-http') {
      await this.gate.admitFlowEndpoint(req, pathname.slice(NODE_RED_HTTP_ROOT.length) || '/');
      const body = await this.body(req, this.limits.flowsHttp);
      return this.forward(req, res, body, {});
    }
    if (pathname === `${NODE_RED_ADMIN_ROOT}/auth/token` && method === 'POST') {
      const body = await this.body(req, this.limits.auth);
      const answer = await this.gate.passwordGrant(body, req.headers['content-type'], req.socket.remoteAddress);
      return this.json(res, 200, answer);
    }
    if (pathname === `${NODE_RED_ADMIN_ROOT}/auth/revoke` && method === 'POST') {
      // Editor tokens expire on their own; signing out happens at the console.
      await this.body(req, this.limits.auth);
      res.statusCode = 200;
      return void res.end();
    }
    const caller = await this.gate.editorCaller(req);
    // Every write to Node-RED's admin API needs a user: an anonymous body is refused unread.
    if (!caller && UNSAFE.has(method))
      throw new UserError('UNAUTHENTICATED', 'sign in at the Loopgate console to change flows', 401);
    if (caller?.viaCookie && UNSAFE.has(method)) refuseForeignOrigin(req);
    const body = await this.body(req, this.limits.admin);
    if (caller && pathname === `${NODE_RED_ADMIN_ROOT}/flows` && method === 'POST') {
      const deploymentType = String(req.headers['node-red-deployment-type'] ?? 'full');
      const answer = await this.gate.deploy({
        body,
        deploymentType,
        user: caller.user,
        address: req.socket.remoteAddress,
      });
      if (answer !== 'forward') return this.json(res, answer.status, answer.body);
    }
    const extra: Record<string, string> = caller ? { [EDITOR_TOKEN_HEADER]: this.gate.forwardToken(caller.user) } : {};
    return this.forward(req, res, body, extra);
  }

  private async body(req: http.IncomingMessage, limits: BodyLimits): Promise<Buffer> {
    const body = await readLimitedBody(req, limits.maxBytes);
    checkBodyDepth(body, req.headers['content-type'], limits.maxDepth);
    return body;
  }

  private portOrFail(): number {
    const port = this.upstream.port();
    if (port === undefined)
      throw new UserError('NODE_RED_UNAVAILABLE', 'Node-RED is not running right now; it is being restarted', 503);
    return port;
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: Buffer,
    extra: Record<string, string>,
  ): Promise<void> {
    const port = this.portOrFail();
    return new Promise((resolve) => {
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port,
          method: req.method,
          path: req.url,
          headers: { ...forwardedHeaders(req, extra), 'content-length': String(body.length) },
        },
        (answer) => {
          const headers: http.OutgoingHttpHeaders = {};
          for (const [name, value] of Object.entries(answer.headers))
            if (!DROPPED_RESPONSE_HEADERS.has(name) && value !== undefined) headers[name] = value;
          res.writeHead(answer.statusCode ?? 502, headers);
          answer.pipe(res);
          answer.on('end', resolve);
          answer.on('error', () => {
            res.destroy();
            resolve();
          });
        },
      );
      upstream.on('error', (error) => {
        this.fail(res, new UserError('NODE_RED_UNAVAILABLE', `Node-RED did not answer: ${error.message}`, 502));
        resolve();
      });
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  }

  private async upgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    pathname: string,
    area: Area,
  ): Promise<void> {
    let extra: Record<string, string> = {};
    if (area === 'flows-http') {
      await this.gate.admitFlowEndpoint(req, pathname.slice(NODE_RED_HTTP_ROOT.length) || '/');
    } else {
      const caller = await this.gate.editorCaller(req);
      if (caller?.viaCookie) refuseForeignOrigin(req);
      if (caller) extra = { [EDITOR_TOKEN_HEADER]: this.gate.forwardToken(caller.user) };
    }
    const port = this.portOrFail();
    const headers = forwardedHeaders(req, extra);
    headers.connection = 'Upgrade';
    headers.upgrade = req.headers.upgrade ?? 'websocket';
    const upstream = http.request({ host: '127.0.0.1', port, method: 'GET', path: req.url, headers });
    upstream.on('upgrade', (answer, upstreamSocket, upstreamHead) => {
      const lines = [`HTTP/1.1 ${answer.statusCode ?? 101} ${answer.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < answer.rawHeaders.length; i += 2)
        lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upstreamHead.length) socket.write(upstreamHead);
      if (head.length) upstreamSocket.write(head);
      upstreamSocket.pipe(socket).pipe(upstreamSocket);
      const close = () => {
        upstreamSocket.destroy();
        socket.destroy();
      };
      upstreamSocket.on('error', close);
      socket.on('error', close);
      upstreamSocket.on('close', close);
      socket.on('close', close);
    });
    upstream.on('response', (answer) => {
      socket.end(`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\nconnection: close\r\n\r\n`);
      answer.resume();
    });
    upstream.on('error', () => socket.destroy());
    upstream.end();
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(JSON.stringify(body));
  }

  private fail(res: http.ServerResponse, error: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof UserError) {
      if (error instanceof ThrottledError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
      // The rest of a refused upload is not read: the connection closes once the answer is out,
      // instead of Node draining megabytes nobody will look at.
      const unread = error.code === 'BODY_TOO_LARGE' || res.req?.complete === false;
      if (unread) {
        res.setHeader('connection', 'close');
        res.once('finish', () => res.req?.socket.destroy());
      }
      return this.json(res, error.status, errorBody(error, res.req?.url));
    }
    this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    this.json(res, 502, {
      statusCode: 502,
      code: 'NODE_RED_PROXY_FAILED',
      path: requestPath(res.req?.url),
      message: 'the request to Node-RED failed',
    } satisfies ApiErrorBody);
  }
}
