import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { API_PREFIX, type FlowFile, type RuleSetFile, type RuleSetVersion } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeRedAdmin } from '../../server/src/cli/node-red-admin';
import type { DeploymentRecord } from '../../server/src/deployments/deployment.types';
import type { ApiClient } from '../../server/src/demo/api-client';
import { DEMO_SITE_FILE } from '../../server/src/demo/stack';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../security/gateway';
import { DEMO_PASSWORD, startTestStack, type DemoStack } from '../support/stack';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'server/dist/cli/main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI as its own process. */
function cli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function project(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-cli-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

const ruleSet = {
  schemaVersion: 1,
  id: 'tool-wear',
  name: 'Tool wear',
  facts: [{ name: 'spindleLoad', type: 'number' }],
  rules: [
    {
      name: 'reduce-feed',
      conditions: { all: [{ fact: 'spindleLoad', operator: 'greaterThan', value: 80 }] },
      event: {
        type: 'writeback',
        params: { action: 'set-parameter', targetKind: 'opcenter', parameter: 'FeedRate', value: 900 },
      },
    },
  ],
};
const flow = (version: string, topic = 'a') => ({
  schemaVersion: 1,
  id: 'cnc-line',
  version,
  name: 'CNC line',
  nodes: [
    { id: 'tab1', type: 'tab', label: 'CNC line' },
    { id: 'in1', type: 'inject', z: 'tab1', topic, wires: [['dbg1']] },
    { id: 'dbg1', type: 'debug', z: 'tab1', wires: [] },
  ],
});

describe('loopgate validate (process)', () => {
  it('passes valid files with exit 0', async () => {
    const dir = project({ 'rules/sets/tool-wear.json': ruleSet, 'flows/cnc-line.json': flow('1.0.0') });
    const run = await cli(['validate'], {}, dir);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/2 file\(s\) valid/);
  });

  it('prints each issue with file, path and code and exits 1', async () => {
    const broken = {
      ...flow('1.0.0'),
      schemaVersion: 9,
      nodes: [...flow('1.0.0').nodes, { id: 'r1', type: 'loopgate-rule', z: 'tab1', ruleSet: 'missing' }],
    };
    const dir = project({
      'rules/sets/tool-wear.json': { ...ruleSet, rules: [{ name: 'x' }] },
      'flows/cnc-line.json': broken,
      'flows/bad.json': '{ nope',
    });
    const run = await cli(['validate'], {}, dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/flows\/cnc-line\.json: \$\.schemaVersion UNSUPPORTED_SCHEMA_VERSION/);
    expect(run.stdout).toMatch(/flows\/cnc-line\.json: \$\.nodes\[3\]\.ruleSet UNKNOWN_RULE_SET/);
    expect(run.stdout).toMatch(/flows\/bad\.json: \$ INVALID_JSON/);
    expect(run.stdout).toMatch(/rules\/sets\/tool-wear\.json: \$\.rules\[0\]/);
  });

  it('answers --json for scripts', async () => {
    const dir = project({ 'flows/cnc-line.json': { ...flow('1.0.0'), version: '' } });
    const run = await cli(['--json', 'validate', 'flows'], {}, dir);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      ok: false,
      files: 1,
      issues: [{ file: 'flows/cnc-line.json', code: 'REQUIRED', path: '$.version', message: expect.any(String) }],
    });
  });

  it('checks output nodes against the site file', async () => {
    const site = {
      targets: [
        {
          instance: 'opcenter-line1',
          kind: 'opcenter',
          connection: {
            baseUrl: 'http://127.0.0.1:18790',
            app: 'OpcenterEXDS',
            clientId: 'loopgate',
            clientSecret: 'x',
          },
          guardrails: { interlocks: [{ parameter: '*Interlock*' }] },
        },
      ],
    };
    const out = {
      id: 'o1',
      type: 'opcenter-out',
      z: 'tab1',
      instance: 'opcenter-line1',
      action: 'set-parameter',
      parameter: 'SpindleInterlock',
      wires: [],
    };
    const dir = project({
      'site.json': site,
      'flows/cnc-line.json': { ...flow('1.0.0'), nodes: [...flow('1.0.0').nodes, out] },
    });
    const run = await cli(['validate', '--site', 'site.json', 'flows'], {}, dir);
    expect(run.stdout).toMatch(/\$\.nodes\[3\]\.parameter SAFETY_INTERLOCK/);
    expect(run.code).toBe(1);
  });

  it('exits 2 on bad usage', async () => {
    expect((await cli(['validate', 'no/such/path'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
  });
});

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(REPO, file), 'utf8')) as T;

describe("loopgate validate on the repository's own files, as CI runs it (process)", () => {
  const args = ['validate', 'rules/sets', 'flows', '--site', DEMO_SITE_FILE];
  const toolWear = 'flows/tool-wear-feed-rate.flow.json';
  /** The repository's rule sets and flows, with the tool-wear flow's Opcenter output node changed. */
  function withOpcenterNode(change: Record<string, unknown>): { dir: string; at: string } {
    const flow = readJson<FlowFile>(toolWear);
    const index = flow.nodes.findIndex((n) => n.type === 'opcenter-out');
    flow.nodes[index] = { ...flow.nodes[index], ...change };
    const files: Record<string, unknown> = { [toolWear]: flow };
    for (const dir of ['rules/sets', 'flows'])
      for (const name of fs.readdirSync(path.join(REPO, dir)))
        files[`${dir}/${name}`] ??= readJson<unknown>(`${dir}/${name}`);
    return { dir: project(files), at: `$.nodes[${index}]` };
  }

  it('passes the example flows and rule sets against the checked-in demo site, without its secrets', async () => {
    const run = await cli(args, {}, REPO);
    expect(run.stdout).toMatch(/^8 file\(s\) valid$/m);
    expect(run).toMatchObject({ code: 0, stderr: '' });
  });

  it('names file, path and code when a flow writes to a target the site does not configure', async () => {
    const { dir, at } = withOpcenterNode({ instance: 'opcenter-elsewhere' });
    const run = await cli(args, {}, dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${toolWear}: ${at}.instance UNKNOWN_TARGET`);
  });

  it('names file, path and code when a flow writes an interlock parameter', async () => {
    const { dir, at } = withOpcenterNode({ parameter: 'SpindleInterlock' });
    const run = await cli(args, {}, dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${toolWear}: ${at}.parameter SAFETY_INTERLOCK`);
  });
});

describe('loopgate deploy of rule sets through the registry (process)', () => {
  const id = 'tool-wear-feed-compensation';
  let stack: DemoStack;
  let engineer: Record<string, string>;
  let reader: ApiClient;
  /** The repository's rule set with the wear threshold of its shared condition changed. */
  const withThreshold = (value: number): RuleSetFile => {
    const file = readJson<RuleSetFile>(`rules/sets/${id}.json`);
    const wearing = file.sharedConditions?.['tool-wearing'] as { all: { value: unknown }[] };
    wearing.all[0].value = value;
    return file;
  };
  const versions = () => reader.get<RuleSetVersion[]>(`/rulesets/${id}/versions`);
  const deployments = async () => (await reader.get<{ deployments: DeploymentRecord[] }>('/deployments')).deployments;

  beforeAll(async () => {
    stack = await startTestStack({ flowFile: null });
    engineer = { LOOPGATE_URL: stack.url, LOOPGATE_USER: 'engineer', LOOPGATE_PASSWORD: DEMO_PASSWORD };
    reader = await stack.signIn('admin');
  });
  afterAll(async () => stack?.close());

  it("publishes a changed rule set as a production version that waits for a second person's approval (exit 6)", async () => {
    expect((await versions()).map((v) => [v.version, v.status])).toEqual([[1, 'published']]);
    const dir = project({ [`rules/sets/${id}.json`]: withThreshold(0.65) });

    const run = await cli(['deploy', '--comment', 'wear threshold 0.65'], engineer, dir);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(`rule set ${id}: new version 2 for production, needs a second person's approval`);
    expect(run.stdout).toMatch(/NOT LIVE YET: 1 rule set version\(s\) wait for a second person's approval/);

    const stored = (await versions()).find((v) => v.version === 2);
    expect(stored).toMatchObject({ status: 'pending-approval', author: 'engineer', comment: 'wear threshold 0.65' });
    expect(run.stdout).toContain(`rule set ${id} version 2 sha256:${stored?.checksum.slice(0, 12)}`);
    expect((await reader.get<RuleSetVersion>(`/rulesets/${id}/versions/latest`)).version).toBe(1);

    const [record] = await deployments();
    expect(record).toMatchObject({
      deployedBy: 'engineer',
      comment: 'wear threshold 0.65',
      items: [{ kind: 'rule-set', id, version: '2', checksum: stored?.checksum, result: 'pending-approval' }],
    });

    // Deploying again before anyone approves adds no second pending version and says it still waits.
    const again = await cli(['--json', 'deploy'], engineer, dir);
    expect(again.code).toBe(6);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, pendingApproval: [{ id, version: '2' }] });
    expect(await versions()).toHaveLength(2);
    expect(await deployments()).toHaveLength(1);
  });

  it('goes live when a second engineer approves it; deploying the same file again writes nothing', async () => {
    const approver = await stack.signIn('engineer2');
    await approver.post(`/rulesets/${id}/versions/2/approve`, { password: DEMO_PASSWORD, meaning: 'approved' });
    const dir = project({ [`rules/sets/${id}.json`]: withThreshold(0.65) });

    const run = await cli(['--json', 'deploy'], engineer, dir);
    expect(run.code).toBe(0);
    const live = await reader.get<RuleSetVersion>(`/rulesets/${id}/versions/latest`);
    expect(live).toMatchObject({ version: 2, status: 'published', approvedBy: 'engineer2' });
    expect(JSON.parse(run.stdout)).toEqual({
      ok: true,
      changed: false,
      items: [{ kind: 'rule-set', id, version: '2', checksum: live.checksum, result: 'unchanged' }],
      pendingApproval: [],
    });
    expect(await versions()).toHaveLength(2);
    expect(await deployments()).toHaveLength(1);
  });

  it('shows the rule-set diff against the live version on --dry-run and writes nothing', async () => {
    const dir = project({ [`rules/sets/${id}.json`]: withThreshold(0.7) });
    const run = await cli(['deploy', '--dry-run'], engineer, dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('dry run: nothing was deployed');
    expect(run.stdout).toContain(
      `rule set ${id}: new version 3 for production, needs a second person's approval, against live version 2:`,
    );
    expect(run.stdout).toMatch(
      /~ condition in "tool-wearing" \$\.sharedConditions\['tool-wearing'\]\.all\[0\]: .*"value":0\.65.* → .*"value":0\.7/,
    );
    expect(await versions()).toHaveLength(2);
    expect(await deployments()).toHaveLength(1);
  });
});

describe('loopgate against a gateway with Node-RED (process)', () => {
  let gw: TestGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    gw = await startTestGateway({ nodeRed: true });
    env = { LOOPGATE_URL: gw.url, LOOPGATE_USER: 'admin', LOOPGATE_PASSWORD: ADMIN_PASSWORD };
    // Node-RED starts in the background: wait until its admin API answers.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await fetch(`${gw.url}/red/flows`, {
        headers: { authorization: `Bearer ${await gw.admin()}` },
      }).catch(() => undefined);
      if (response?.ok) break;
      if (Date.now() > deadline) throw new Error('Node-RED did not start');
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  afterAll(async () => gw?.close());

  it('adds a user and creates a service token', async () => {
    const added = await cli(['--json', 'users', 'add', 'erin', '--role', 'engineer', '--display-name', 'Erin'], {
      ...env,
      LOOPGATE_NEW_PASSWORD: 'erin password 1234',
    });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ username: 'erin', roles: ['engineer'] });
    const token = await cli(['tokens', 'create', 'line1'], env);
    expect(token.code).toBe(0);
    expect(token.stdout.trim()).toMatch(/^lgs_[A-Za-z0-9_-]{43}$/);
    const me = await gw.request('GET', `${API_PREFIX}/auth/me`, { token: token.stdout.trim() });
    expect(await me.json()).toMatchObject({ kind: 'service', username: 'token:line1' });
  });

  it('exits 3 with wrong credentials and for a role without the permission', async () => {
    expect((await cli(['users', 'list'], { ...env, LOOPGATE_PASSWORD: 'wrong password' })).code).toBe(3);
    expect(
      (await cli(['tokens', 'create', 'x'], { ...env, LOOPGATE_USER: 'erin', LOOPGATE_PASSWORD: 'erin password 1234' }))
        .code,
    ).toBe(3);
  });

  it('shows the diff on --dry-run, deploys flows with the revision check, and records the deployment', async () => {
    const dir = project({ 'flows/cnc-line.json': flow('1.0.0') });
    const engineer = { ...env, LOOPGATE_USER: 'erin', LOOPGATE_PASSWORD: 'erin password 1234' };
    const dry = await cli(['deploy', '--dry-run'], engineer, dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/dry run: nothing was deployed/);
    expect(dry.stdout).toMatch(/flow cnc-line 1\.0\.0 \(new\): \+3 added/);
    expect(dry.stderr).toMatch(/\[1\/2\] validating files/);

    // Flow change control: the deploy is a pending flow version (exit 6) until a second engineer signs it.
    const deployed = await cli(['--json', 'deploy', '--comment', 'first'], engineer, dir);
    expect(deployed.code).toBe(6);
    const output = JSON.parse(deployed.stdout) as { pendingFlowVersion: number; deployment: unknown };
    const record = output.deployment as {
      deployedBy: string;
      items: { id: string; checksum: string; result: string }[];
    };
    expect(record).toMatchObject({
      deployedBy: 'erin',
      items: [{ kind: 'flow', id: 'cnc-line', version: '1.0.0', result: 'pending-approval' }],
    });
    expect(record.items[0].checksum).toMatch(/^[a-f0-9]{64}$/);
    const red = new NodeRedAdmin(`${gw.url}/red`, await gw.admin());
    expect((await red.getFlows()).flows.some((n) => n.id === 'in1')).toBe(false);

    const approved = await gw.request('POST', `${API_PREFIX}/flow-versions/${output.pendingFlowVersion}/approve`, {
      token: await gw.admin(),
      body: { password: ADMIN_PASSWORD, meaning: 'approved' },
    });
    expect(approved.status).toBe(200);
    const runtime = await red.getFlows();
    expect(runtime.flows.map((n) => n.id)).toEqual(expect.arrayContaining(['tab1', 'in1', 'dbg1']));

    const diff = await cli(['diff'], engineer, dir);
    expect(diff.stdout).toMatch(/flow cnc-line 1\.0\.0: unchanged/);
    const list = await gw.request('GET', `${API_PREFIX}/deployments`, { token: await gw.admin() });
    expect(((await list.json()) as { deployments: unknown[] }).deployments).toHaveLength(1);
    if (gw.standInAudit)
      expect(gw.standInAudit.entries.some((e) => e.action === 'flow-version' && e.actor === 'erin')).toBe(true);
  });

  it('is refused by Node-RED at a stale revision instead of overwriting', async () => {
    const red = new NodeRedAdmin(`${gw.url}/red`, await gw.admin());
    const read = await red.getFlows();
    // Someone else's change goes live meanwhile (submitted by admin, signed by erin).
    const meanwhile = await red.setFlows(read.rev, [
      ...read.flows,
      { id: 'someone-else', type: 'tab', label: 'edited meanwhile' },
    ]);
    const signed = await gw.request('POST', `${API_PREFIX}/flow-versions/${meanwhile.pendingVersion}/approve`, {
      token: (await gw.login('erin', 'erin password 1234')).token,
      body: { password: 'erin password 1234', meaning: 'approved' },
    });
    expect(signed.status).toBe(200);
    await expect(red.setFlows(read.rev, read.flows)).rejects.toMatchObject({ code: 'STALE_REVISION', exitCode: 4 });
    expect((await red.getFlows()).flows.some((n) => n.id === 'someone-else')).toBe(true);
  });

  it('lets a viewer read the Node-RED editor but not deploy', async () => {
    await gw.request('POST', `${API_PREFIX}/users`, {
      token: await gw.admin(),
      body: { username: 'vic', roles: ['viewer'], password: 'vic password 12345' },
    });
    const { token } = await gw.login('vic', 'vic password 12345');
    const red = new NodeRedAdmin(`${gw.url}/red`, token);
    const read = await red.getFlows();
    await expect(red.setFlows(read.rev, read.flows)).rejects.toMatchObject({ exitCode: 3 });
  });
});

describe('exit codes against stand-in servers (process)', () => {
  let server: Server;
  let url: string;
  let verification: unknown;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === `${API_PREFIX}/audit/verify`) return json(200, verification);
      if (req.url === '/red/flows' && req.method === 'GET') return json(200, { rev: 'r1', flows: [] });
      // Someone deployed between our read and our write.
      if (req.url === '/red/flows') return json(409, { code: 'version_mismatch', message: 'Error' });
      return json(404, { statusCode: 404, code: 'NOT_FOUND', message: 'not found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('audit verify exits 0 for an intact chain and 1 for a broken one', async () => {
    verification = { ok: true, checked: 12 };
    const ok = await cli(['audit', 'verify'], { LOOPGATE_URL: url, LOOPGATE_TOKEN: 'lgu_token-for-the-stand-in-0123' });
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toMatch(/12 record\(s\) verified/);
    verification = { ok: false, checked: 7, firstBroken: { sequence: 7, reason: 'hash-mismatch' } };
    const broken = await cli(['--json', 'audit', 'verify'], {
      LOOPGATE_URL: url,
      LOOPGATE_TOKEN: 'lgu_token-for-the-stand-in-0123',
    });
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBroken: { sequence: 7 } });
  });

  it('deploy exits 4 when the runtime moved on between read and write', async () => {
    const dir = project({ 'flows/cnc-line.json': flow('2.0.0') });
    const run = await cli(['deploy'], { LOOPGATE_URL: url, LOOPGATE_TOKEN: 'lgu_token-for-the-stand-in-0123' }, dir);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/STALE_REVISION/);
  });

  it('exits 5 when the gateway cannot be reached', async () => {
    expect(
      (await cli(['audit', 'verify'], { LOOPGATE_URL: 'http://127.0.0.1:9', LOOPGATE_TOKEN: 'lgu_x-0123456789abcdef' }))
        .code,
    ).toBe(5);
  });
});
