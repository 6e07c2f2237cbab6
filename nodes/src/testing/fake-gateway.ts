import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  API_PREFIX,
  isTerminalCommandState,
  type ApiErrorBody,
  type CommandState,
  type DecisionRecord,
  type KpiSampleReport,
  type OutcomeStreamMessage,
  type ReasonCode,
  type RuleSetFile,
  type RuleSetVersion,
  type WriteBackOutcome,
  type WriteBackRequest,
} from '@loopgate/contracts';

/** How the fake decides on commands; tests change it between cases. */
export interface FakeBehaviour {
  /** State of a new command as the POST answers it. */
  initialState: CommandState;
  /** State reached after `pollsUntilFinal` GETs. */
  finalState: CommandState;
  reasonCode?: ReasonCode;
  /** On a rejected answer: when the gateway would take the key again (rate, cooldown, override hold). */
  blockedUntil?: string;
  pollsUntilFinal: number;
  /** The next N POSTs to /writebacks answer 503. */
  failNextPosts: number;
}

/**
 * A stand-in for the Loopgate gateway that implements only the contract the palette uses
 * (write-backs, outcome stream, rule set versions, decisions), on 127.0.0.1. For palette unit
 * tests only; the real gateway is exercised by the tests under `test/palette/`.
 */
const DEFAULT_TARGETS = [
  { instance: 'opcenter-demo', kind: 'opcenter' },
  { instance: 'opcenter-line2', kind: 'opcenter' },
  { instance: 'cmms-demo', kind: 'cmms' },
];

export class FakeGateway {
  readonly token: string;
  readonly requests: WriteBackRequest[] = [];
  readonly decisions: DecisionRecord[] = [];
  readonly kpiSamples: KpiSampleReport[] = [];
  readonly commands = new Map<string, { outcome: WriteBackOutcome; polls: number }>();
  readonly ruleSets = new Map<string, RuleSetVersion[]>();
  /** The target instances `GET /targets` lists. */
  targets: { instance: string; kind: string }[] = [...DEFAULT_TARGETS];
  /** Requests seen per `METHOD path`, for assertions. */
  readonly hits: string[] = [];
  behaviour: FakeBehaviour = { initialState: 'queued', finalState: 'applied', pollsUntilFinal: 1, failNextPosts: 0 };
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Set<ServerResponse>();
  private port = 0;

  constructor(options: { token?: string } = {}) {
    this.token = options.token ?? 'test-token';
  }

  /** Forgets commands, requests, decisions and hits and restores the default behaviour. */
  reset(): void {
    this.behaviour = { initialState: 'queued', finalState: 'applied', pollsUntilFinal: 1, failNextPosts: 0 };
    this.targets = [...DEFAULT_TARGETS];
    this.requests.length = 0;
    this.decisions.length = 0;
    this.kpiSamples.length = 0;
    this.hits.length = 0;
    this.commands.clear();
    this.ruleSets.clear();
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts listening; on a restart it takes the same port again. */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every open connection (outcome streams included): the gateway is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const stream of this.streams) stream.destroy();
    this.streams.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  publishRuleSet(content: RuleSetFile, version: number): RuleSetVersion {
    const published: RuleSetVersion = {
      ruleSetId: content.id,
      version,
      checksum: `sha256:${version}`,
      author: 'test',
      createdAt: new Date().toISOString(),
      status: 'published',
      environment: 'production',
      content,
    };
    const versions = this.ruleSets.get(content.id) ?? [];
    versions.push(published);
    this.ruleSets.set(content.id, versions);
    return published;
  }

  /**
   * Sends an outcome on every open outcome stream, as the gateway does on each state change:
   * an `outcome` event whose data is `{ type: 'outcome', outcome }`. `bare` sends the outcome
   * itself as an unnamed event, as a simpler gateway might.
   */
  publishOutcome(outcome: WriteBackOutcome, format: 'gateway' | 'bare' = 'gateway'): void {
    const event =
      format === 'gateway'
        ? `event: outcome\ndata: ${JSON.stringify({ type: 'outcome', outcome } satisfies OutcomeStreamMessage)}\n\n`
        : `data: ${JSON.stringify(outcome)}\n\n`;
    for (const stream of this.streams) stream.write(event);
  }

  /** Sends a stream message that is not an outcome (heartbeat, control, target). */
  publishOther(type: string, data: unknown): void {
    for (const stream of this.streams) stream.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    this.hits.push(`${req.method} ${path}${url.search}`);
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return this.error(res, 401, 'UNAUTHENTICATED', 'missing or wrong service token');
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    let match: RegExpMatchArray | null;
    if (req.method === 'POST' && path === '/writebacks') return this.submit(res, body);
    if (req.method === 'GET' && (match = path.match(/^\/writebacks\/([^/]+)$/)))
      return this.poll(res, decodeURIComponent(match[1]));
    if (req.method === 'GET' && path === '/outcomes/stream') return this.stream(res);
    if (req.method === 'GET' && path === '/targets') return json(res, 200, { targets: this.targets });
    if (req.method === 'GET' && path === '/rulesets') {
      return json(
        res,
        200,
        [...this.ruleSets.values()].map((v) => ({
          id: v[0].ruleSetId,
          name: v[0].content.name,
          latestVersion: v[v.length - 1].version,
        })),
      );
    }
    if (req.method === 'GET' && (match = path.match(/^\/rulesets\/([^/]+)\/versions(?:\/([^/]+))?$/))) {
      const versions = this.ruleSets.get(decodeURIComponent(match[1]));
      if (!versions) return this.error(res, 404, 'NOT_FOUND', 'no such rule set');
      if (match[2] === undefined)
        return json(
          res,
          200,
          versions.map(({ content: _content, ...meta }) => meta),
        );
      const found =
        match[2] === 'latest' ? versions[versions.length - 1] : versions.find((v) => v.version === Number(match![2]));
      return found ? json(res, 200, found) : this.error(res, 404, 'NOT_FOUND', 'no such version');
    }
    if (req.method === 'POST' && path === '/autonomy/kpi-samples') {
      this.kpiSamples.push(body as KpiSampleReport);
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && path === '/decisions') {
      this.decisions.push(body as DecisionRecord);
      return json(res, 201, { ok: true });
    }
    return this.error(res, 404, 'NOT_FOUND', `${req.method} ${path}`);
  }

  private submit(res: ServerResponse, body: unknown): void {
    if (this.behaviour.failNextPosts > 0) {
      this.behaviour.failNextPosts--;
      return this.error(res, 503, 'UNAVAILABLE', 'starting up');
    }
    const request = body as WriteBackRequest;
    const missing = ['requestId', 'target', 'object', 'action', 'reason', 'notAfter', 'lineage'].filter(
      (f) => (request as unknown as Record<string, unknown>)?.[f] === undefined,
    );
    if (missing.length > 0) {
      return this.error(
        res,
        400,
        'VALIDATION_FAILED',
        'invalid write-back request',
        missing.map((f) => ({ code: 'REQUIRED', path: `$.${f}`, message: 'is required' })),
      );
    }
    const existing = [...this.commands.values()].find((c) => c.outcome.requestId === request.requestId);
    if (existing) return json(res, 200, existing.outcome);
    this.requests.push(request);
    const outcome: WriteBackOutcome = {
      commandId: `cmd-${this.commands.size + 1}`,
      requestId: request.requestId,
      state: this.behaviour.initialState,
      ...(isTerminalCommandState(this.behaviour.initialState) && this.behaviour.reasonCode
        ? { reasonCode: this.behaviour.reasonCode }
        : {}),
      ...(this.behaviour.initialState === 'rejected' && this.behaviour.blockedUntil
        ? { blockedUntil: this.behaviour.blockedUntil }
        : {}),
      target: request.target,
      object: request.object,
      action: request.action,
      parameter: request.parameter,
      // As the gateway does: a service token is automation.
      initiator: 'ai',
      lineage: request.lineage,
      timings: { receivedAt: new Date().toISOString() },
    };
    this.commands.set(outcome.commandId, { outcome, polls: 0 });
    this.publishOutcome(outcome);
    json(res, 202, outcome);
  }

  private poll(res: ServerResponse, commandId: string): void {
    const command = this.commands.get(commandId);
    if (!command) return this.error(res, 404, 'NOT_FOUND', `no command ${commandId}`);
    command.polls++;
    if (!isTerminalCommandState(command.outcome.state) && command.polls >= this.behaviour.pollsUntilFinal) {
      const final = this.behaviour.finalState;
      command.outcome = {
        ...command.outcome,
        state: final,
        ...(final === 'applied'
          ? { priorValue: 1200, newValue: command.outcome.action === 'set-parameter' ? 1140 : null }
          : {}),
        ...(this.behaviour.reasonCode && final !== 'applied' ? { reasonCode: this.behaviour.reasonCode } : {}),
        timings: {
          ...command.outcome.timings,
          decidedAt: new Date().toISOString(),
          appliedAt: new Date().toISOString(),
        },
      };
      this.publishOutcome(command.outcome);
    }
    json(res, 200, command.outcome);
  }

  private stream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  }

  private error(
    res: ServerResponse,
    statusCode: number,
    code: string,
    message: string,
    issues?: ApiErrorBody['issues'],
  ): void {
    const path = (res.req.url ?? '/').split('?')[0];
    json(res, statusCode, { statusCode, code, path, message, ...(issues ? { issues } : {}) } satisfies ApiErrorBody);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

function json(res: ServerResponse, statusCode: number, body: unknown): void {
  res.writeHead(statusCode, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
