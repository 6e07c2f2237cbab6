import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '@loopgate/contracts';
import { GatewayClient, GatewayError } from './gateway-client';

let server: Server | undefined;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('GatewayClient', () => {
  it('sends the service token and JSON to /api/v1', async () => {
    let seen: { url?: string; auth?: string; body?: string } = {};
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { url: req.url, auth: req.headers.authorization, body };
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new GatewayClient({ baseUrl: `${url}/`, token: 't0k' }).recordDecision({
      ruleSetId: 'r',
      ruleSetVersion: 1,
      time: 't',
      facts: {},
      firedEvents: [],
    });
    expect(seen).toEqual({
      url: '/api/v1/decisions',
      auth: 'Bearer t0k',
      body: '{"ruleSetId":"r","ruleSetVersion":1,"time":"t","facts":{},"firedEvents":[]}',
    });
  });

  it('classifies a refused connection as unreachable (transient)', async () => {
    const url = await serve((_req, res) => res.end());
    server?.close();
    await once(server!, 'close');
    const err = await failure(new GatewayClient({ baseUrl: url }).getWriteBack('c1'));
    expect(err).toMatchObject({ kind: 'unreachable', code: 'GATEWAY_UNREACHABLE', transient: true });
  });

  it('classifies no answer within the timeout as a timeout (transient)', async () => {
    const url = await serve(() => undefined);
    const err = await failure(new GatewayClient({ baseUrl: url, timeoutMs: 100 }).getWriteBack('c1'));
    expect(err).toMatchObject({ kind: 'timeout', code: 'GATEWAY_TIMEOUT', transient: true });
  });

  it.each([
    [400, 'rejected', 'VALIDATION_FAILED', false],
    [401, 'auth', 'UNAUTHENTICATED', false],
    [404, 'not-found', 'NOT_FOUND', false],
    [503, 'server', 'UNAVAILABLE', true],
  ])("maps HTTP %i to %s with the body's code", async (status, kind, code, transient) => {
    const url = await serve((_req, res) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          statusCode: status,
          code,
          message: 'no',
          issues: [{ code: 'REQUIRED', path: '$.x', message: 'is required' }],
        }),
      ),
    );
    const err = await failure(new GatewayClient({ baseUrl: url }).getWriteBack('c1'));
    expect(err).toMatchObject({ kind, code, statusCode: status, transient });
    expect(err.issues).toEqual([{ code: 'REQUIRED', path: '$.x', message: 'is required' }]);
  });

  it("carries a 429's Retry-After, so the caller waits as long as the gateway asked", async () => {
    const url = await serve((_req, res) =>
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': '17' })
        .end(JSON.stringify({ statusCode: 429, code: 'TOO_MANY_REQUESTS', message: 'slow down' })),
    );
    const err = await failure(new GatewayClient({ baseUrl: url }).getWriteBack('c1'));
    expect(err).toMatchObject({ kind: 'server', code: 'TOO_MANY_REQUESTS', transient: true, retryAfterSeconds: 17 });
  });

  it('reports a non-JSON answer as a protocol error', async () => {
    const url = await serve((_req, res) => res.writeHead(200).end('<html>proxy login</html>'));
    const err = await failure(new GatewayClient({ baseUrl: url }).getWriteBack('c1'));
    expect(err).toMatchObject({ kind: 'protocol', code: 'UNEXPECTED_BODY' });
  });

  it('reads the rule set list the gateway documents, and calls a typed path with its parameter', async () => {
    const seen: string[] = [];
    const url = await serve((req, res) => {
      seen.push(req.url ?? '');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(req.url === '/api/v1/rulesets' ? '[{"id":"a","name":"A"}]' : '{"ruleSetId":"a b","version":3}');
    });
    const client = new GatewayClient({ baseUrl: url });
    expect(await client.listRuleSets()).toEqual([{ id: 'a', name: 'A' }]);
    await client.getRuleSetVersion('a b', 'latest');
    expect(seen).toEqual(['/api/v1/rulesets', '/api/v1/rulesets/a%20b/versions/latest']);
  });

  it('carries the refusal path of the shared ApiError', async () => {
    const url = await serve((_req, res) =>
      res
        .writeHead(409, { 'content-type': 'application/json' })
        .end(JSON.stringify({ statusCode: 409, code: 'CONFLICT', path: '/api/v1/writebacks', message: 'known' })),
    );
    const err = await failure(new GatewayClient({ baseUrl: url }).getWriteBack('c1'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ kind: 'rejected', status: 409, code: 'CONFLICT', path: '/api/v1/writebacks' });
  });
});
