/**
 * docker/node-red/settings.js in a real Node-RED (the version the repository installs, as the
 * image does): exec not loaded, flow endpoints behind a token the gateway accepts, bodies over
 * the embedded proxy's limits refused with the same codes before Node-RED parses them, and
 * ordinary JSON and form bodies still reaching the flow as Node-RED would parse them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/src/demo/stack';
import { waitFor } from './support';

const ROOT = path.resolve(__dirname, '..', '..');
const RED_JS = path.join(ROOT, 'node_modules', 'node-red', 'red.js');
const SETTINGS = path.join(ROOT, 'docker', 'node-red', 'settings.js');
const GOOD = 'Bearer lgs_accepted';

let gateway: http.Server;
let red: ChildProcess;
let userDir: string;
let url: string;
let output = '';
let tokenChecks = 0;
const gatewayLogins: string[] = [];
const gatewayLogouts: string[] = [];

/** Node-RED's editor sign-in as its login dialog makes it (scope "": the user's own permissions); the token or the status. */
async function editorToken(username: string, password: string): Promise<string | number> {
  const response = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '', username, password }),
  });
  if (!response.ok) return response.status;
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * One POST, with node:http rather than fetch: Node-RED answers a refused upload (413) and closes
 * the connection before the rest of the body is read, so the client's write may fail after the
 * answer has arrived. fetch reports only that failure; here the answer counts when there is one.
 */
function post(
  route: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const target = `${url}${route.startsWith('/auth/') ? '' : '/flows-http'}${route}`;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: GOOD,
          ...headers,
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        answered = true;
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let parsed: Record<string, unknown>;
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            parsed = { text };
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
        response.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(body);
  });
}

beforeAll(async () => {
  // The gateway's GET /api/v1/auth/me (200 for one token, 401 for any other) and its sign-in:
  // erin is an engineer, olga an operator, both with the password "right".
  gateway = http.createServer((req, res) => {
    if (req.url === '/api/v1/auth/login' && req.method === 'POST') {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const { username, password } = JSON.parse(text) as { username: string; password: string };
        const roles = { erin: ['engineer'], olga: ['operator'] }[username];
        gatewayLogins.push(username);
        res.statusCode = roles && password === 'right' ? 200 : 401;
        res.end(
          JSON.stringify(res.statusCode === 200 ? { token: `session-${username}`, user: { username, roles } } : {}),
        );
      });
      return;
    }
    if (req.url === '/api/v1/auth/logout') {
      gatewayLogouts.push(req.headers.authorization ?? '');
      res.statusCode = 204;
      return void res.end();
    }
    tokenChecks++;
    res.statusCode = req.url === '/api/v1/auth/me' && req.headers.authorization === GOOD ? 200 : 401;
    res.end('{}');
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-docker-red-'));
  fs.writeFileSync(
    path.join(userDir, 'flows.json'),
    JSON.stringify([
      { id: 't', type: 'tab', label: 'echo' },
      { id: 'in', type: 'http in', z: 't', url: '/echo', method: 'post', wires: [['out']] },
      { id: 'out', type: 'http response', z: 't', statusCode: '', headers: {}, wires: [] },
    ]),
  );
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  red = spawn(process.execPath, [RED_JS, '--settings', SETTINGS, '--userDir', userDir], {
    env: {
      PATH: process.env.PATH,
      HOME: userDir,
      PORT: String(port),
      NODE_RED_USER_DIR: userDir,
      NODE_RED_CREDENTIAL_SECRET: 'docker-settings-test',
      LOOPGATE_GATEWAY_URL: `http://127.0.0.1:${(gateway.address() as { port: number }).port}`,
      NODE_RED_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  red.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  red.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    'Node-RED with docker/node-red/settings.js',
    async () => {
      if (red.exitCode !== null) throw new Error(`Node-RED exited ${red.exitCode}:\n${output}`);
      return (await post('/echo', '{"ready":true}')).status === 200 ? true : undefined;
    },
    120_000,
  );
}, 180_000);

afterAll(async () => {
  if (red && red.exitCode === null) {
    const exited = new Promise((resolve) => red.once('exit', resolve));
    red.kill('SIGTERM');
    await exited;
  }
  await new Promise((resolve) => gateway?.close(resolve));
  if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
});

describe('docker/node-red/settings.js', () => {
  it('serves flow endpoints under /flows-http, as the embedded gateway does', async () => {
    expect((await fetch(`${url}/echo`, { method: 'POST', headers: { authorization: GOOD } })).status).toBe(404);
  });

  it("signs the editor in with the gateway's users: engineers deploy, other roles read, no password of its own", async () => {
    expect((await fetch(`${url}/flows`)).status).toBe(401);
    expect(await editorToken('erin', 'wrong')).toBe(403);
    const engineer = await editorToken('erin', 'right');
    expect(typeof engineer).toBe('string');
    expect(gatewayLogins).toContain('erin');
    // The gateway session made to check the password is ended at once.
    await waitFor(
      'the check session ended',
      async () => (gatewayLogouts.includes('Bearer session-erin') ? true : undefined),
      5_000,
    );
    const flows = await fetch(`${url}/flows`, { headers: { authorization: `Bearer ${engineer as string}` } });
    expect(flows.status).toBe(200);
    const operator = (await editorToken('olga', 'right')) as string;
    expect((await fetch(`${url}/flows`, { headers: { authorization: `Bearer ${operator}` } })).status).toBe(200);
    const deploy = await fetch(`${url}/flows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify(await flows.json()),
    });
    expect(deploy.status).toBe(401);
  });

  it('does not load the exec node', async () => {
    const token = (await editorToken('erin', 'right')) as string;
    const nodes = (await (
      await fetch(`${url}/nodes`, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } })
    ).json()) as {
      types: string[];
    }[];
    const types = nodes.flatMap((set) => set.types);
    expect(types).toContain('function');
    expect(types).not.toContain('exec');
  });

  it('refuses a flow endpoint without a token, or with one the gateway does not accept, with 401', async () => {
    const none = await post('/echo', '{}', { authorization: '' });
    expect(none).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    const before = tokenChecks;
    const wrong = await post('/echo', '{}', { authorization: 'Bearer lgs_wrong' });
    expect(wrong).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect(tokenChecks).toBe(before + 1);
  });

  it('passes JSON and form bodies within the limits to the flow as Node-RED parses them', async () => {
    expect(await post('/echo', '{"line":4,"values":[1,{"a":2}]}')).toEqual({
      status: 200,
      body: { line: 4, values: [1, { a: 2 }] },
    });
    expect(
      await post('/echo', 'line=4&cell[station]=OP20', { 'content-type': 'application/x-www-form-urlencoded' }),
    ).toEqual({ status: 200, body: { line: '4', cell: { station: 'OP20' } } });
  });

  it('refuses bodies over the limits with the embedded proxy codes', async () => {
    const deep = `${'['.repeat(33)}${']'.repeat(33)}`;
    expect(await post('/echo', deep)).toMatchObject({ status: 400, body: { code: 'BODY_TOO_DEEP' } });
    expect(
      await post('/echo', `a${'[b]'.repeat(33)}=1`, { 'content-type': 'application/x-www-form-urlencoded' }),
    ).toMatchObject({ status: 400, body: { code: 'BODY_TOO_DEEP' } });
    expect(await post('/echo', `"${'x'.repeat(1024 * 1024 + 10)}"`)).toMatchObject({
      status: 413,
      body: { code: 'BODY_TOO_LARGE' },
    });
    expect(await post('/echo', 'x'.repeat(1024 * 1024 + 10), { 'content-type': 'text/plain' })).toMatchObject({
      status: 413,
      body: { code: 'BODY_TOO_LARGE' },
    });
    expect(await post('/echo', '{"a":"not json', {})).toMatchObject({ status: 400, body: { code: 'BODY_INVALID' } });
  });

  it('limits the sign-in body as the embedded proxy does', async () => {
    const deep = JSON.stringify({ a: { b: { c: { d: { e: 1 } } } } });
    expect(await post('/auth/token', deep, { authorization: '' })).toMatchObject({
      status: 400,
      body: { code: 'BODY_TOO_DEEP' },
    });
    expect(await post('/auth/token', `{"a":"${'x'.repeat(17 * 1024)}"}`, { authorization: '' })).toMatchObject({
      status: 413,
      body: { code: 'BODY_TOO_LARGE' },
    });
  });
});
