/**
 * The probe flow of issue 12, deployed through the real change-control path (one engineer submits
 * in the editor's way, a second signs): from inside Node-RED it reads env.get, escapes the function
 * sandbox to the process, tries the gateway's site file, database (and its WAL), audit key,
 * credential secret and environment (/proc), lists the data folder, runs commands through
 * child_process, forges an IPC message, and calls the MES directly. Nothing of the gateway's is
 * readable, commands run as the Node-RED user, the MES answers 401 (no credential is in reach),
 * exec is not loaded, flow endpoints need a session or a token, and the Node-RED process is another
 * process, user and environment than the gateway.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointFlow, startRedGateway, waitFor, type RedGateway } from './support';

let gw: RedGateway;

function probeFunction(files: Record<string, string>, mes: Record<string, unknown>): string {
  return `
const out = { envGet: env.get('LOOPGATE_ADMIN_PASSWORD') ?? null, files: {} };
let proc;
try { proc = msg.constructor.constructor('return process')(); } catch (e) { out.escape = String(e); }
if (proc) {
  out.pid = proc.pid;
  out.uid = proc.getuid();
  out.gid = proc.getgid();
  out.env = proc.env;
  const fs = proc.mainModule.require('fs');
  const files = ${JSON.stringify(files)};
  for (const [name, file] of Object.entries(files)) {
    try { out.files[name] = fs.readFileSync(file, 'utf8'); } catch (e) { out.files[name] = 'refused: ' + e.code; }
  }
  try { out.dataDirListing = fs.readdirSync(${JSON.stringify(path.dirname(files.site))}); } catch (e) { out.dataDirListing = 'refused: ' + e.code; }
  const cp = proc.mainModule.require('child_process');
  out.commandUser = cp.execFileSync('id', ['-u'], { encoding: 'utf8' }).trim();
  try { out.catSite = cp.execFileSync('cat', [files.site], { encoding: 'utf8', stdio: 'pipe' }); } catch (e) { out.catSite = 'refused: exit ' + e.status; }
  // A forged "listening" over the IPC channel Node-RED shares with the gateway: the proxy must not follow it.
  proc.send({ type: 'listening', port: 9, uid: 0, gid: 0 });
  const f = msg.constructor.constructor('return fetch')();
  const mes = ${JSON.stringify(mes)};
  const command = await f(mes.command, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(mes.body) });
  out.mesCommandWithoutToken = command.status;
  const token = await f(mes.token, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=' + mes.clientId + '&client_secret=guess' });
  out.mesTokenWithoutSecret = token.status;
}
msg.payload = out;
return msg;`;
}

beforeAll(async () => {
  gw = await startRedGateway();
  await gw.waitForNodeRed();
}, 180_000);

afterAll(async () => gw?.close());

describe('the probe flow (issue 12)', () => {
  let probe: Record<string, unknown>;
  let pendingVersion: number;

  it('goes live only when a second engineer signs it, and the diff names its nodes', async () => {
    const files = {
      site: gw.siteFile,
      database: path.join(gw.dataDir, 'loopgate.db'),
      credentialSecret: path.join(gw.dataDir, 'node-red-credential-secret'),
      databaseWal: path.join(gw.dataDir, 'loopgate.db-wal'),
      auditKey: path.join(gw.dataDir, 'audit-key'),
      gatewayEnvironment: `/proc/${gw.pid}/environ`,
    };
    // The MES as the deployment lets the child reach it (same host, no network policy in a test).
    const mes = {
      command: `${gw.sim.url}/sit-svc/application/${gw.sim.app}/odata/SetProcessParameterValue`,
      body: { RecipeId: 'CNC-01/OP20', Name: 'FeedRate', Value: 1, ExternalRef: 'probe' },
      token: `${gw.sim.url}/sit-auth/OAuth/Token`,
      clientId: gw.sim.clientId,
    };
    const flows = endpointFlow('probe', '/probe', probeFunction(files, mes));
    const submitted = await gw.deploy(await gw.engineer('erin'), flows);
    expect(submitted.status).toBe(403);
    expect(submitted.body).toMatchObject({ code: 'FLOW_APPROVAL_REQUIRED' });
    pendingVersion = submitted.body.version as number;
    const pending = (await gw.versions()).find((v) => v.version === pendingVersion)!;
    expect(pending).toMatchObject({ status: 'pending-approval', author: 'erin', live: false });
    expect(pending.diff.added.map((n) => `${n.type}:${n.id}`)).toEqual([
      'tab:probe',
      'http in:probe.in',
      'function:probe.fn',
      'http response:probe.out',
    ]);
    // Not running: Node-RED has no such endpoint yet.
    const before = await fetch(`${gw.url}/flows-http/probe`, {
      headers: { authorization: `Bearer ${gw.bootstrapToken}` },
    });
    expect(before.status).toBe(404);
    // The author cannot sign their own version.
    const own = await gw.approve(pendingVersion, 'erin');
    expect(own.status).toBe(403);
    expect(await own.json()).toMatchObject({ code: 'SAME_AUTHOR' });

    const signed = await gw.approve(pendingVersion, 'ed');
    expect(signed.status).toBe(200);
    expect(await signed.json()).toMatchObject({ status: 'published', decidedBy: 'ed', live: true });
    const answer = await waitFor('the probe endpoint', async () => {
      const response = await fetch(`${gw.url}/flows-http/probe`, {
        headers: { authorization: `Bearer ${gw.bootstrapToken}` },
      });
      return response.status === 200 ? response : undefined;
    });
    probe = (await answer.json()) as Record<string, unknown>;
  });

  it('finds no password, token, secret or site value of the gateway', () => {
    const text = JSON.stringify(probe);
    for (const secret of [gw.adminPassword, gw.bootstrapToken, gw.mesSecret]) expect(text).not.toContain(secret);
    expect(probe.envGet).toBeNull();
    const env = probe.env as Record<string, string>;
    for (const name of [
      'LOOPGATE_ADMIN_PASSWORD',
      'LOOPGATE_BOOTSTRAP_TOKEN',
      'LOOPGATE_SITE_FILE',
      'LOOPGATE_DATA_DIR',
      'LOOPGATE_DATABASE_URL',
      'NODE_OPTIONS',
    ])
      expect(env).not.toHaveProperty(name);
    expect(probe.files).toEqual({
      site: 'refused: EACCES',
      database: 'refused: EACCES',
      credentialSecret: 'refused: EACCES',
      databaseWal: 'refused: EACCES',
      auditKey: 'refused: EACCES',
      gatewayEnvironment: 'refused: EACCES',
    });
    expect(probe.dataDirListing).toBe('refused: EACCES');
  });

  it("runs operating-system commands from the escaped sandbox only as the Node-RED user, who cannot read the gateway's files", () => {
    expect(probe.commandUser).toBe(String(probe.uid));
    expect(probe.commandUser).not.toBe('0');
    expect(probe.catSite).toBe('refused: exit 1');
  });

  it('reaches the MES only as an anonymous caller: no token, no client secret, nothing applied', () => {
    // The request got an answer: the child can reach the MES's port. A network policy (docs/security.md) closes that.
    expect(probe.mesCommandWithoutToken).toBe(401);
    expect(probe.mesTokenWithoutSecret).toBe(401);
    expect(gw.sim.ledger().filter((e) => e.externalRef === 'probe')).toEqual([]);
  });

  it('ignores a "listening" message forged over the IPC channel: the proxy keeps to the real port', async () => {
    const response = await fetch(`${gw.url}/flows-http/probe`, {
      headers: { authorization: `Bearer ${gw.bootstrapToken}` },
    });
    expect(response.status).toBe(200);
    expect((await gw.health()).checks['node-red'].ok).toBe(true);
  });

  it('runs in another process, as another user, with another environment', () => {
    const env = probe.env as Record<string, string>;
    expect(probe.pid).not.toBe(gw.pid);
    expect(probe.pid).toBe(gw.childPid());
    expect(process.getuid?.()).toBe(0);
    expect(probe.uid).not.toBe(0);
    const gatewayEnv = fs.readFileSync(`/proc/${gw.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    expect(gatewayEnv.some((line) => line.startsWith('LOOPGATE_ADMIN_PASSWORD='))).toBe(true);
    expect(env.HOME).toBe(path.join(gw.dataDir, 'node-red'));
  });

  it('holds only a least-privilege service token: no users, no flows, no approvals', async () => {
    const token = (probe.env as Record<string, string>).LOOPGATE_TOKEN;
    expect(token).toMatch(/^lgs_/);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await fetch(`${gw.api}/users`, { headers: auth })).status).toBe(403);
    expect(
      (await fetch(`${gw.api}/flow-versions`, { method: 'POST', headers: auth, body: '{"flows":[]}' })).status,
    ).toBe(403);
    expect((await fetch(`${gw.url}/red/flows`, { headers: auth })).status).toBe(403);
    expect((await fetch(`${gw.api}/rulesets`, { headers: auth })).status).toBe(200);
  });

  it('does not load the exec node', async () => {
    const nodes = (await (
      await fetch(`${gw.url}/red/nodes`, {
        headers: { authorization: `Bearer ${await gw.engineer('erin')}`, accept: 'application/json' },
      })
    ).json()) as { types: string[] }[];
    const types = nodes.flatMap((set) => set.types);
    expect(types).toContain('function');
    expect(types).not.toContain('exec');
  });

  it('refuses a deploy that uses an exec node, storing nothing', async () => {
    const before = (await gw.versions()).length;
    const flows = [
      ...endpointFlow('shell', '/shell', 'return msg;'),
      {
        id: 'shell.exec',
        type: 'exec',
        z: 'shell',
        command: 'cat',
        addpay: 'payload',
        append: '',
        wires: [[], [], []],
      },
    ];
    const deployed = await gw.deploy(await gw.engineer('erin'), flows);
    expect(deployed.status).toBe(400);
    expect(deployed.body).toMatchObject({ code: 'EXEC_DISABLED' });
    expect(await gw.versions()).toHaveLength(before);
  });

  it('refuses a flow endpoint without a session or token with 401', async () => {
    const response = await fetch(`${gw.url}/flows-http/probe`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('names both engineers and the checksum in the audit trail', async () => {
    const version = (await gw.versions()).find((v) => v.version === pendingVersion)!;
    const exported = await fetch(`${gw.api}/audit/export?format=ndjson`, {
      headers: { authorization: `Bearer ${await gw.adminToken()}` },
    });
    const records = (await exported.text())
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { action?: string; actor: string; message?: string; signature?: { signer: string } },
      );
    const approval = records.find((r) => r.action === 'flow-version-approve');
    expect(approval).toMatchObject({ actor: 'ed', signature: { signer: 'ed' } });
    expect(approval?.message).toContain('by erin');
    expect(approval?.message).toContain(version.checksum);
  });
});
