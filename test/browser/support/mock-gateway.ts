/**
 * A small in-memory stand-in for the gateway's public API, serving the built console, so the
 * console's pages can be driven in a real browser without the full stack (simulators, Node-RED).
 * It follows the contracts' paths and types; the real gateway is exercised by console.test.ts.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  API_PREFIX,
  type AuditRecord,
  type ControlState,
  type LoginResponse,
  type Role,
  type RuleSetFile,
  type RuleSetVersion,
  type TargetStatus,
  type ValidationIssue,
  type WriteBackOutcome,
} from '@loopgate/contracts';
import { compileRuleSet, parseRuleSetFile } from '@loopgate/rules';
import { ResponseContract } from '../../../server/src/openapi/response-contract';

/** The gateway's OpenAPI document (generated, `npm run generate:api`): what every answer must match. */
const CONTRACT = new ResponseContract(
  JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../contracts/openapi.json'), 'utf8')),
);

export const MOCK_PASSWORD = 'mock-password';
const USERS: Record<string, { displayName: string; roles: Role[] }> = {
  engineer: { displayName: 'Erin Engineer', roles: ['engineer'] },
  engineer2: { displayName: 'Sam Second-Engineer', roles: ['engineer'] },
  operator: { displayName: 'Olga Operator', roles: ['operator'] },
  qa: { displayName: 'Quinn QA', roles: ['qa'] },
  viewer: { displayName: 'Vic Viewer', roles: ['viewer'] },
};

export interface MockGateway {
  url: string;
  /** What the mock's "MES" holds, by `target/object/parameter`, like a simulator's current values. */
  values: Map<string, string | number | boolean>;
  control: ControlState;
  outcomes: WriteBackOutcome[];
  /** Submits an AI-initiated write-back as a flow would; `needsApproval` puts it in the inbox. */
  submit(change: {
    parameter: string;
    value: number;
    needsApproval?: boolean;
    objectId?: string;
    /** Sent, never confirmed: held for a person (as the gateway does after its confirming reads fail). */
    quarantined?: boolean;
  }): WriteBackOutcome;
  /** Rounds of the mock's dispatcher that found dispatch stopped and applied nothing. */
  heldRounds(): number;
  close(): Promise<void>;
}

const now = () => new Date().toISOString();

export async function startMockGateway(options: {
  distDir: string;
  port?: number;
  ruleSets?: RuleSetFile[];
}): Promise<MockGateway> {
  const sessions = new Map<string, string>();
  const streams = new Set<http.ServerResponse>();
  const outcomes: WriteBackOutcome[] = [];
  const audit: AuditRecord[] = [];
  const values = new Map<string, string | number | boolean>([['opcenter-demo/CNC-01/OP20/FeedRate', 1200]]);
  const control: ControlState = { stopped: false };
  let heldRounds = 0;
  const targets: TargetStatus[] = [
    {
      instance: 'opcenter-demo',
      kind: 'opcenter',
      healthy: true,
      paused: false,
      shadow: false,
      queueDepth: 0,
      currentRate: 2.4,
      rateLimit: 20,
      lastErrors: [],
      // The MES's event-log service is down: the mirror is behind, writes go on.
      eventLog: {
        mirroredThrough: 40,
        pending: 6,
        checkpointThrough: 0,
        lastError: { code: 'HTTP_503', message: 'Opcenter answered 503 to CreateCustomEvent', at: now() },
        nextAttemptAt: new Date(Date.now() + 8_000).toISOString(),
      },
    },
    {
      instance: 'factorytalk-demo',
      kind: 'factorytalk',
      healthy: false,
      healthMessage: 'lock service answered 503 three times',
      paused: true,
      shadow: false,
      queueDepth: 3,
      currentRate: 0,
      rateLimit: 10,
      lastErrors: [{ time: now(), code: 'LOCK_UNAVAILABLE', message: 'work order WO-1002 locked by operator console' }],
      down: {
        since: now(),
        reason: '503 from the lock service 3 times in a row',
        probes: 2,
        nextProbeAt: new Date(Date.now() + 30_000).toISOString(),
      },
    },
    {
      instance: 'aveva-demo',
      kind: 'aveva',
      healthy: true,
      paused: false,
      shadow: true,
      queueDepth: 0,
      currentRate: 0.5,
      rateLimit: 15,
      lastErrors: [],
      eventLog: { mirroredThrough: 52, pending: 0, checkpointThrough: 50, lastSentAt: now() },
    },
  ];
  const versions = new Map<string, RuleSetVersion[]>();
  for (const file of options.ruleSets ?? []) {
    versions.set(file.id, [
      {
        ruleSetId: file.id,
        version: 1,
        checksum: 'sha256:' + randomUUID().replace(/-/g, ''),
        author: 'engineer',
        createdAt: now(),
        status: 'published',
        approvedBy: 'engineer2',
        approvedAt: now(),
        environment: 'production',
        content: file,
      },
    ]);
  }

  const broadcast = (type: string, payload: unknown) => {
    const data = `event: ${type}\ndata: ${JSON.stringify({ type, [type]: payload })}\n\n`;
    for (const res of streams) res.write(data);
  };
  const record = (
    o: WriteBackOutcome,
    outcome: AuditRecord['outcome'],
    actor: string,
    extra: Partial<AuditRecord> = {},
  ) => {
    const previous = audit[audit.length - 1];
    audit.push({
      sequence: audit.length + 1,
      time: now(),
      commandId: o.commandId,
      requestId: o.requestId,
      lineage: o.lineage,
      target: o.target,
      object: o.object,
      action: o.action,
      parameter: o.parameter,
      priorValue: o.priorValue,
      newValue: o.newValue,
      outcome,
      reasonCode: o.reasonCode,
      actor,
      previousHash: previous?.hash ?? '0'.repeat(64),
      hash: randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, ''),
      ...extra,
    });
  };
  const change = (o: WriteBackOutcome, patch: Partial<WriteBackOutcome>) => {
    Object.assign(o, patch);
    broadcast('outcome', o);
  };
  const keyOf = (o: WriteBackOutcome) => `${o.target.instance}/${o.object.id}/${o.parameter}`;
  // The dispatcher: queued commands are applied unless dispatch is stopped or their target paused.
  const dispatcher = setInterval(() => {
    if (control.stopped) {
      heldRounds += 1;
      return;
    }
    for (const o of outcomes.filter((x) => x.state === 'queued')) {
      if (targets.find((t) => t.instance === o.target.instance)?.paused) continue;
      values.set(keyOf(o), o.newValue as number);
      // As the gateway does: a revert ends `reverted`, its original stays `applied` and links to it.
      const state = o.revertOf ? 'reverted' : 'applied';
      change(o, {
        state,
        timings: { ...o.timings, appliedAt: now() },
        mesTransactionId: `TX-${Math.floor(Math.random() * 1e6)}`,
      });
      record(o, state, 'gateway');
    }
  }, 150);

  const submit: MockGateway['submit'] = ({
    parameter,
    value,
    needsApproval,
    objectId = 'CNC-01/OP20',
    quarantined,
  }) => {
    const o: WriteBackOutcome = {
      commandId: randomUUID(),
      requestId: `inf-${outcomes.length + 1}:${parameter}`,
      state: needsApproval ? 'pending-approval' : quarantined ? 'quarantined' : 'queued',
      ...(needsApproval ? { reasonCode: 'APPROVAL_REQUIRED' as const, message: 'recipe step above 5 %' } : {}),
      ...(quarantined
        ? { reasonCode: 'QUARANTINED' as const, message: 'sent; 5 confirming reads failed: the outcome is unknown' }
        : {}),
      target: { kind: 'opcenter', instance: 'opcenter-demo' },
      object: {
        type: 'recipe-parameter',
        id: objectId,
        equipment: { site: 'Plant-A', area: 'Machining', workCenter: 'Line-1', workUnit: 'CNC-01' },
      },
      action: 'set-parameter',
      parameter,
      priorValue: values.get(`opcenter-demo/${objectId}/${parameter}`) ?? null,
      newValue: value,
      initiator: 'ai',
      requestedBy: 'token:node-red',
      lineage: {
        inferenceId: `inf-${outcomes.length + 1}`,
        modelId: 'tool-wear',
        modelVersion: '3',
        score: 0.82,
        ruleSetId: 'tool-wear',
        ruleSetVersion: 1,
        ruleName: 'reduce-feed',
      },
      ...(needsApproval
        ? {
            approval: {
              rule: 'recipe step above 5 %',
              requiresQuality: false,
              expiresAt: new Date(Date.now() + 3600_000).toISOString(),
            },
          }
        : {}),
      timings: { receivedAt: now(), decidedAt: now() },
    };
    outcomes.unshift(o);
    record(o, needsApproval ? 'pending' : 'accepted', 'token:node-red');
    broadcast('outcome', o);
    broadcast('decision', {
      ruleSetId: 'tool-wear',
      ruleSetVersion: 1,
      time: now(),
      facts: { spindleLoad: 91, toolWearScore: 0.82 },
      firedEvents: [{ type: 'writeback', params: { action: 'set-parameter' } }],
      inferenceId: o.lineage.inferenceId,
    });
    return o;
  };

  const userOf = (req: http.IncomingMessage): string | undefined => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)loopgate_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    return sessions.get(bearer ?? cookie ?? '');
  };

  async function api(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: string,
    query: URLSearchParams,
  ): Promise<void> {
    const send = (status: number, body?: unknown) => {
      // The stand-in answers what the gateway's document says, or fails the page loudly.
      const problem = CONTRACT.check(req.method ?? 'GET', `${API_PREFIX}${route}`, status, 'application/json', body);
      if (problem) {
        console.error(`stand-in gateway: ${req.method} ${route} ${status}: ${problem}`);
        res.writeHead(500, { 'Content-Type': 'application/json' });
        return void res.end(
          JSON.stringify({ statusCode: 500, code: 'RESPONSE_CONTRACT', path: route, message: problem }),
        );
      }
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string, issues?: ValidationIssue[]) =>
      send(status, { statusCode: status, code, path: `${API_PREFIX}${route}`, message, ...(issues ? { issues } : {}) });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const method = req.method ?? 'GET';

    if (method === 'POST' && route === '/auth/login') {
      const username = String(body.username);
      if (!USERS[username] || body.password !== MOCK_PASSWORD)
        return fail(401, 'INVALID_CREDENTIALS', 'user name or password is wrong');
      const token = randomUUID();
      sessions.set(token, username);
      const login: LoginResponse = {
        token,
        expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString(),
        user: { username, ...USERS[username] },
      };
      res.setHeader('Set-Cookie', `loopgate_session=${token}; HttpOnly; SameSite=Strict; Path=/`);
      return send(200, login);
    }
    if (method === 'GET' && route === '/auth/providers') return send(200, { password: true });
    const user = userOf(req);
    if (!user) return fail(401, 'UNAUTHENTICATED', 'sign in first');
    const signatureOk = () => body.password === MOCK_PASSWORD;

    if (method === 'GET' && route === '/outcomes/stream') {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (method === 'POST' && route === '/auth/logout') return send(204);
    if (method === 'GET' && route === '/auth/me') return send(200, { username: user, ...USERS[user] });
    if (method === 'GET' && route === '/writebacks') {
      // As the gateway does: newest first, the filters it knows, a cursor and, on request, a count.
      const state = query.get('state');
      const states = query.get('states')?.split(',');
      const initiator = query.get('initiator');
      const target = query.get('target');
      const matching = outcomes.filter(
        (o) =>
          (!state || o.state === state) &&
          (!states || states.includes(o.state)) &&
          (!initiator || o.initiator === initiator) &&
          (!target || o.target.instance === target),
      );
      const before = query.get('before');
      const from = before ? matching.findIndex((o) => o.commandId === before) + 1 : 0;
      const limit = Number(query.get('limit') ?? 100);
      const page = matching.slice(from, from + limit);
      return send(200, {
        outcomes: page,
        ...(from + limit < matching.length ? { nextBefore: page[page.length - 1].commandId } : {}),
        ...(query.get('count') === 'true' ? { count: matching.length } : {}),
      });
    }
    const held = /^\/writebacks\/([^/]+)\/(release|resolve)$/.exec(route);
    if (method === 'POST' && held) {
      // As the gateway does: only a quarantined command; release queues it again, resolve ends it.
      const o = outcomes.find((x) => x.commandId === decodeURIComponent(held[1]));
      if (!o) return fail(404, 'NOT_FOUND', 'no such command');
      if (o.state !== 'quarantined') return fail(409, 'NOT_QUARANTINED', `command is ${o.state}, not quarantined`);
      const applied = body.outcome === 'applied';
      if (held[2] === 'release') {
        change(o, { state: 'queued', reasonCode: 'QUARANTINE_RELEASED', message: String(body.reason) });
      } else {
        change(o, {
          state: applied ? 'applied' : 'failed',
          reasonCode: 'QUARANTINE_RESOLVED',
          message: String(body.reason),
        });
      }
      record(o, held[2] === 'release' ? 'retried' : applied ? 'applied' : 'failed', user, {
        message: String(body.reason),
      });
      return send(200, o);
    }
    if (method === 'GET' && route === '/approvals')
      return send(200, { approvals: outcomes.filter((o) => o.state === 'pending-approval') });
    if (method === 'GET' && route === '/alarms') return send(200, { alarms: [], shelvedCount: 0 });
    const episode = /^\/writebacks\/([^/]+)\/episode$/.exec(route);
    if (method === 'GET' && episode) {
      // As the gateway does: the AI's applied writes to the key in a row, newest first, back to a person's.
      const o = outcomes.find((x) => x.commandId === decodeURIComponent(episode[1]));
      if (!o || o.initiator !== 'ai' || o.state !== 'applied') return fail(409, 'NOT_IN_EPISODE', 'not an AI write');
      const history = outcomes.filter(
        (x) =>
          x.object.id === o.object.id &&
          x.parameter === o.parameter &&
          (x.state === 'applied' || x.state === 'reverted'),
      );
      const at = history.indexOf(o);
      const step = (x: WriteBackOutcome) => x.initiator === 'ai' && x.state === 'applied' && !x.revertedBy;
      let newest = at;
      while (newest > 0 && step(history[newest - 1])) newest--;
      let oldest = at;
      while (oldest + 1 < history.length && step(history[oldest + 1])) oldest++;
      const run = history.slice(newest, oldest + 1).reverse();
      if (run[0].priorValue === undefined || run[0].priorValue === null)
        return fail(409, 'NOT_REVERTIBLE', "the episode's first write has no prior value");
      return send(200, {
        orderingKey: `${o.target.instance}|${o.object.id}|${o.parameter}`,
        target: o.target,
        object: o.object,
        parameter: o.parameter,
        commandIds: run.map((x) => x.commandId),
        firstAt: run[0].timings.decidedAt ?? run[0].timings.receivedAt,
        lastAt: run[run.length - 1].timings.decidedAt ?? run[run.length - 1].timings.receivedAt,
        valueBefore: run[0].priorValue,
        currentValue: run[run.length - 1].newValue ?? null,
        open: newest === 0,
      });
    }
    let m = /^\/writebacks\/([^/]+)\/(approve|reject|revert)$/.exec(route);
    if (method === 'POST' && m) {
      const o = outcomes.find((x) => x.commandId === decodeURIComponent(m![1]));
      if (!o) return fail(404, 'NOT_FOUND', 'no such command');
      if (m[2] === 'revert') {
        if (o.state !== 'applied') return fail(409, 'NOT_REVERTIBLE', 'only an applied change can be reverted');
        const revert: WriteBackOutcome = {
          ...o,
          commandId: randomUUID(),
          requestId: `revert:${o.commandId}`,
          state: 'queued',
          priorValue: o.newValue,
          newValue: o.priorValue,
          initiator: 'human',
          requestedBy: user,
          revertOf: o.commandId,
          reasonCode: 'REVERT',
          message: String(body.reason),
          timings: { receivedAt: now(), decidedAt: now() },
        };
        outcomes.unshift(revert);
        record(revert, 'accepted', user, { message: String(body.reason) });
        broadcast('outcome', revert);
        change(o, { revertedBy: revert.commandId });
        return send(202, revert);
      }
      if (o.state !== 'pending-approval') return fail(409, 'NOT_PENDING', 'not waiting for approval');
      if (!signatureOk()) return fail(401, 'SIGNATURE_INVALID', 'the password does not match');
      const signature = {
        signer: user,
        signerName: USERS[user].displayName,
        meaning: String(body.meaning),
        signedAt: now(),
        recordHash: 'h',
      };
      if (m[2] === 'approve')
        change(o, { state: 'queued', reasonCode: undefined, approval: { ...o.approval!, signature } });
      else change(o, { state: 'rejected', reasonCode: 'APPROVAL_REJECTED', approval: { ...o.approval!, signature } });
      record(o, m[2] === 'approve' ? 'approved' : 'rejected', user, {
        signature: { ...signature, meaning: signature.meaning as 'approved' },
      });
      return send(200, o);
    }
    if (method === 'GET' && route === '/targets') return send(200, { targets });
    if (method === 'GET' && route === '/autonomy/inputs') {
      // One sensor in step, one whose clock runs 7.25 s ahead of the gateway's (past the 5 s allowed).
      const at = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();
      return send(200, [
        {
          name: 'ns=1;s=CNC_Cell_02.SpindleLoad',
          sourceTime: at(7.25),
          seenAt: at(0),
          skewSeconds: 7.25,
          quality: 'good',
          skewed: true,
        },
        {
          name: 'ns=1;s=CNC_Cell_01.SpindleLoad',
          sourceTime: at(-0.12),
          seenAt: at(0),
          skewSeconds: -0.12,
          quality: 'good',
          skewed: false,
        },
      ]);
    }
    m = /^\/targets\/([^/]+)\/(pause|resume|shadow)$/.exec(route);
    if (method === 'POST' && m) {
      const t = targets.find((x) => x.instance === decodeURIComponent(m![1]));
      if (!t) return fail(404, 'NOT_FOUND', 'no such target');
      if (m[2] === 'shadow') t.shadow = Boolean(body.enabled);
      else t.paused = m[2] === 'pause';
      broadcast('target', t);
      return send(200, t);
    }
    if (method === 'GET' && route === '/control') return send(200, control);
    if (method === 'POST' && (route === '/control/stop' || route === '/control/resume')) {
      control.stopped = route === '/control/stop';
      control.stoppedBy = control.stopped ? user : undefined;
      control.stoppedAt = control.stopped ? now() : undefined;
      broadcast('control', control);
      return send(200, control);
    }
    if (method === 'GET' && route === '/audit') {
      const q = query.get('q')?.toLowerCase();
      const outcome = query.get('outcome');
      const list = [...audit]
        .reverse()
        .filter((r) => (!outcome || r.outcome === outcome) && (!q || JSON.stringify(r).toLowerCase().includes(q)));
      return send(200, { records: list.slice(0, Number(query.get('limit') ?? 100)) });
    }
    if (method === 'GET' && route === '/audit/verify') return send(200, { ok: true, checked: audit.length });
    if (method === 'GET' && route === '/audit/export') {
      res.writeHead(200, { 'Content-Type': query.get('format') === 'csv' ? 'text/csv' : 'application/x-ndjson' });
      return void res.end(audit.map((r) => JSON.stringify(r)).join('\n'));
    }
    if (method === 'GET' && route === '/rulesets') {
      return send(
        200,
        [...versions.entries()].map(([id, list]) => ({
          id,
          name: list[list.length - 1].content.name,
          latestVersion: list[list.length - 1].version,
          publishedVersion: [...list].reverse().find((v) => v.status === 'published')?.version,
          pendingVersions: list.filter((v) => v.status === 'pending-approval').map((v) => v.version),
          awaiting: list
            .filter((v) => v.status === 'pending-approval')
            .map((v) => ({
              version: v.version,
              author: v.author,
              createdAt: v.createdAt,
              ...(v.comment ? { comment: v.comment } : {}),
            })),
        })),
      );
    }
    m = /^\/rulesets\/([^/]+)\/(versions|validate|replay)$/.exec(route);
    if (m) {
      const id = decodeURIComponent(m[1]);
      const list = versions.get(id);
      if (method === 'GET' && m[2] === 'versions')
        return list ? send(200, list) : fail(404, 'NOT_FOUND', `no rule set ${id}`);
      const content = body.content as RuleSetFile | undefined;
      if (m[2] === 'validate' || (m[2] === 'versions' && method === 'POST')) {
        const issues = validate(content);
        if (m[2] === 'validate') return send(200, { valid: issues.length === 0, issues });
        if (issues.length > 0) return fail(400, 'VALIDATION_FAILED', 'rule set is invalid', issues);
        const next = [...(list ?? [])];
        const version: RuleSetVersion = {
          ruleSetId: id,
          version: next.length + 1,
          checksum: 'sha256:' + randomUUID().replace(/-/g, ''),
          author: user,
          createdAt: now(),
          status: 'pending-approval',
          environment: 'production',
          content: content!,
        };
        next.push(version);
        versions.set(id, next);
        return send(201, version);
      }
      if (m[2] === 'replay') {
        return send(200, {
          ruleSetId: id,
          candidateVersion: body.version,
          liveVersion: list?.find((v) => v.status === 'published')?.version,
          from: new Date(Date.now() - 86400_000).toISOString(),
          to: now(),
          decisions: 42,
          wouldAdd: 3,
          wouldRemove: 1,
          differences: [
            {
              time: now(),
              facts: { spindleLoad: 93, toolWearScore: 0.8 },
              onlyCandidate: [{ type: 'writeback', params: { action: 'set-parameter' } }],
              onlyLive: [],
            },
          ],
        });
      }
    }
    m = /^\/rulesets\/([^/]+)\/versions\/(\d+)(?:\/(approve|reject|evaluate))?$/.exec(route);
    if (m) {
      const version = versions.get(decodeURIComponent(m[1]))?.find((v) => v.version === Number(m![2]));
      if (!version) return fail(404, 'NOT_FOUND', 'no such version');
      if (!m[3]) return send(200, version);
      if (m[3] === 'evaluate')
        return send(200, compileRuleSet(version.content).evaluate(body.facts as Record<string, unknown>));
      if (version.status !== 'pending-approval') return fail(409, 'NOT_PENDING', 'not waiting for approval');
      if (version.author === user) return fail(403, 'SAME_AUTHOR', 'the author cannot approve their own version');
      if (!signatureOk()) return fail(401, 'SIGNATURE_INVALID', 'the password does not match');
      if (m[3] === 'approve') {
        for (const v of versions.get(version.ruleSetId)!) if (v.status === 'published') v.status = 'published';
        Object.assign(version, { status: 'published', approvedBy: user, approvedAt: now() });
      } else version.status = 'rejected';
      return send(200, version);
    }
    return fail(404, 'NOT_FOUND', `no route ${method} ${route}`);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith(API_PREFIX + '/')) {
      api(req, res, url.pathname.slice(API_PREFIX.length), url.searchParams).catch((error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 500, code: 'INTERNAL', message: (error as Error).message }));
      });
      return;
    }
    const file = path.join(options.distDir, path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, ''));
    const target = fs.existsSync(file) && fs.statSync(file).isFile() ? file : path.join(options.distDir, 'index.html');
    const type =
      { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.map': 'application/json' }[
        path.extname(target)
      ] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type });
    fs.createReadStream(target).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    values,
    control,
    outcomes,
    submit,
    heldRounds: () => heldRounds,
    async close() {
      clearInterval(dispatcher);
      for (const res of streams) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The gateway's kind of validation: the file's structure, then facts the rules use but do not declare. */
function validate(content: RuleSetFile | undefined): ValidationIssue[] {
  const parsed = parseRuleSetFile(content);
  if (!parsed.success) return parsed.issues;
  const declared = new Set(parsed.value.facts.map((f) => f.name));
  const issues: ValidationIssue[] = [];
  parsed.value.rules.forEach((rule, i) => {
    const visit = (c: Record<string, unknown>, p: string) => {
      for (const gate of ['all', 'any'] as const)
        if (Array.isArray(c[gate]))
          (c[gate] as Record<string, unknown>[]).forEach((x, j) => visit(x, `${p}.${gate}[${j}]`));
      if (c.not) visit(c.not as Record<string, unknown>, `${p}.not`);
      if (typeof c.fact === 'string' && !declared.has(c.fact))
        issues.push({
          code: 'UNKNOWN_FACT',
          path: `${p}.fact`,
          message: `fact ${c.fact} is not declared in the rule set`,
        });
    };
    visit(rule.conditions as unknown as Record<string, unknown>, `$.rules[${i}].conditions`);
  });
  return issues;
}
