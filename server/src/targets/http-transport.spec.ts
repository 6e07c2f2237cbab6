import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../common/free-port';
import { TargetError } from './adapter';
import { sendHttp, type HttpCall } from './http-transport';
import { Secret } from './secret';

const target = { label: 'MES test', secrets: [new Secret('s3cr3t-value')] };

interface Seen {
  method?: string;
  url?: string;
  headers?: IncomingMessage['headers'];
  body?: string;
}

let server: Server | undefined;

/** A real HTTP server on 127.0.0.1 that answers with `handle` and records the last request. */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void): Promise<{
  url: string;
  seen: Seen;
}> {
  const seen: Seen = {};
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      Object.assign(seen, { method: req.method, url: req.url, headers: req.headers, body });
      handle(req, res, seen);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function failureOf(call: HttpCall): Promise<TargetError> {
  const error = await sendHttp(target, call).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TargetError);
  return error as TargetError;
}

describe('sendHttp', () => {
  it('send JSON and forms with their media types and return the status and parsed answer', async () => {
    const { url, seen } = await serve((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ TransactionId: 'tx-7' }));
    });
    const answer = await sendHttp(target, {
      method: 'POST',
      url: `${url}/commands/SetParameter?x=1`,
      headers: { authorization: 'Bearer abc' },
      json: { Value: 1200 },
      timeoutMs: 5_000,
    });
    expect(answer).toEqual({ status: 201, body: { TransactionId: 'tx-7' } });
    expect(seen).toMatchObject({ method: 'POST', url: '/commands/SetParameter?x=1', body: '{"Value":1200}' });
    expect(seen.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: 'Bearer abc',
    });

    await sendHttp(target, {
      method: 'POST',
      url: `${url}/token`,
      form: { grant_type: 'client_credentials', scope: 'a b' },
      timeoutMs: 5_000,
    });
    expect(seen.body).toBe('grant_type=client_credentials&scope=a+b');
    expect(seen.headers?.['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('keep a text answer as scrubbed text, an empty one as nothing, and a redirect as its status', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/html') {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>bad gateway for s3cr3t-value</html>');
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    const html = await sendHttp(target, { method: 'GET', url: `${url}/html`, timeoutMs: 5_000 });
    expect(html.status).toBe(502);
    expect(html.body).toBe('<html>bad gateway for [redacted]</html>');
    expect(await sendHttp(target, { method: 'DELETE', url: `${url}/x`, timeoutMs: 5_000 })).toEqual({
      status: 204,
      body: undefined,
    });
    expect((await sendHttp(target, { method: 'POST', url: `${url}/moved`, json: {}, timeoutMs: 5_000 })).status).toBe(
      302,
    );
  });

  it('call a refused connection transient: the request never reached the MES', async () => {
    const port = await freePort();
    const failure = await failureOf({ method: 'POST', url: `http://127.0.0.1:${port}/x`, json: {}, timeoutMs: 5_000 });
    expect(failure).toMatchObject({ kind: 'transient', code: 'CONNECTION_REFUSED' });
    expect(failure.message).toContain('MES test: cannot connect (ECONNREFUSED) for POST /x');
  });

  it('call a write without an answer unknown, and a read without one transient', async () => {
    const { url } = await serve(() => undefined); // takes the request, never answers
    const write = await failureOf({ method: 'POST', url: `${url}/commands`, json: {}, timeoutMs: 150 });
    expect(write).toMatchObject({ kind: 'unknown', code: 'TIMEOUT' });
    expect(write.message).toBe('MES test: no answer within 150 ms to POST /commands');
    expect(await failureOf({ method: 'GET', url: `${url}/rows`, timeoutMs: 150 })).toMatchObject({
      kind: 'transient',
      code: 'TIMEOUT',
    });
  });

  it('call a connection lost after sending unknown for a write, transient for a read', async () => {
    const { url } = await serve((req) => req.socket.destroy());
    expect(await failureOf({ method: 'POST', url: `${url}/commands`, json: {}, timeoutMs: 5_000 })).toMatchObject({
      kind: 'unknown',
      code: 'CONNECTION_DROPPED',
    });
    expect(await failureOf({ method: 'GET', url: `${url}/rows`, timeoutMs: 5_000 })).toMatchObject({
      kind: 'transient',
      code: 'CONNECTION_DROPPED',
    });
  });

  it('bound the whole exchange: an answer whose body stalls times out as well', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"Value":');
    });
    expect(await failureOf({ method: 'POST', url: `${url}/commands`, json: {}, timeoutMs: 150 })).toMatchObject({
      kind: 'unknown',
      code: 'TIMEOUT',
    });
  });
});
