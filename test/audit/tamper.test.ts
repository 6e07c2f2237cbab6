import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { API_PREFIX, type AuditTamperKind, type AuditVerification } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_WRITER, type AuditWriter } from '../../server/src/common/audit.port';
import { sealRecord } from '../../server/src/gateway/domain/audit-chain';
import { rowToAudit } from '../../server/src/gateway/persistence/row-mappers';
import { AuditAnchor } from '../../server/src/gateway/services/audit-anchor.service';
import { createGatewayTestApp, type GatewayTestApp } from '../../server/src/gateway/testing/api-app';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../support/databases';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'server/dist/cli/main.js');
const VERIFIER = path.join(REPO, 'tools/verify-audit.py');
const ADMIN = 'ada:admin';

type Row = Record<string, unknown>;

function run(file: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.each(databaseKinds())('audit tampering on %s', (kind) => {
  let db: TestDatabase;
  let gw: GatewayTestApp;
  let proxy: Server;
  let proxyUrl: string;
  let original: Row[];
  let head: Row;
  const q = (sql: string) =>
    kind === 'postgres' ? sql.replace(/\?/g, (_m, i: number) => `$${sql.slice(0, i).split('?').length}`) : sql;

  beforeAll(async () => {
    db = await createTestDatabase(kind, { name: 'audit-tamper' });
    gw = await createGatewayTestApp([], kind === 'postgres' ? { databaseUrl: db.location } : {});
    const writer = gw.app.get<AuditWriter>(AUDIT_WRITER);
    const anchor = gw.app.get(AuditAnchor);
    for (let i = 1; i <= 12; i++) {
      await writer.append({
        outcome: i % 3 === 0 ? 'rejected' : 'applied',
        actor: i % 2 ? 'ai:tool-wear' : 'olivia',
        lineage: { inferenceId: `inf-${i}`, score: i / 7, modelVersion: '2.1' },
        target: { kind: 'opcenter', instance: 'opcenter-line1' },
        object: { type: 'equipment', id: 'CNC-07' },
        action: 'set-parameter',
        parameter: 'FeedRate',
        priorValue: 1200 - i * 10.5,
        newValue: i % 4 === 0 ? 'Hold' : 1200 - (i + 1) * 10.5,
        message: `step ${i}: Überlast €, "quoted", tab\there, 😀 1e21=${1e21}`,
      });
      if (i % 4 === 0) await anchor.checkpoint();
    }
    original = await gw.dataSource.query('SELECT * FROM audit_records ORDER BY sequence');
    [head] = await gw.dataSource.query('SELECT * FROM audit_chain_head');
    // The CLI signs in with a bearer token; this stand-in swaps it for the test principal.
    proxy = createServer((req, res) => {
      void gw.call('GET', (req.url ?? '').slice(API_PREFIX.length), { as: ADMIN }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(await answer.text());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await gw?.close();
    await db?.cleanup();
  });

  async function restore(): Promise<void> {
    await gw.dataSource.query('DELETE FROM audit_records');
    for (const row of original) await insert(row);
    await moveHead(Number(head.sequence), String(head.hash));
  }

  async function insert(row: Row): Promise<void> {
    const columns = Object.keys(row);
    const marks = columns.map(() => '?').join(',');
    await gw.dataSource.query(
      q(`INSERT INTO audit_records (${columns.map((c) => `"${c}"`).join(',')}) VALUES (${marks})`),
      columns.map((c) => row[c]),
    );
  }

  const moveHead = (sequence: number, hash: string) =>
    gw.dataSource.query(q('UPDATE audit_chain_head SET sequence = ?, hash = ? WHERE id = 1'), [sequence, hash]);

  /** What GET /audit/verify, `loopgate audit verify` and tools/verify-audit.py each report. */
  async function reports(): Promise<{ api: AuditVerification; cli: AuditVerification; python: AuditVerification }> {
    const api = (await (await gw.call('GET', '/audit/verify', { as: ADMIN })).json()) as AuditVerification;
    const cliRun = await run(process.execPath, [CLI, '--json', 'audit', 'verify'], {
      LOOPGATE_URL: proxyUrl,
      LOOPGATE_TOKEN: 'lgu_token-for-the-stand-in-0123',
    });
    const human = await run(process.execPath, [CLI, 'audit', 'verify'], {
      LOOPGATE_URL: proxyUrl,
      LOOPGATE_TOKEN: 'lgu_token-for-the-stand-in-0123',
    });
    const exportFile = path.join(gw.dataDir, 'export.ndjson');
    fs.writeFileSync(exportFile, await (await gw.call('GET', '/audit/export?format=ndjson', { as: ADMIN })).text());
    const py = await run('python3', [
      VERIFIER,
      exportFile,
      '--checkpoints',
      path.join(gw.dataDir, 'audit-checkpoints.ndjson'),
      '--key-file',
      path.join(gw.dataDir, 'audit-key'),
      '--json',
    ]);
    expect(py.stderr).toBe('');
    expect(cliRun.code).toBe(api.ok ? 0 : 1);
    expect(py.code).toBe(api.ok ? 0 : 1);
    for (const finding of api.findings ?? []) expect(human.stdout).toContain(finding.kind.toUpperCase());
    return {
      api,
      cli: JSON.parse(cliRun.stdout) as AuditVerification,
      python: JSON.parse(py.stdout) as AuditVerification,
    };
  }

  async function expectNamed(kind: AuditTamperKind, sequence: number, toSequence?: number): Promise<void> {
    const { api, cli, python } = await reports();
    const expected = { kind, sequence, ...(toSequence !== undefined ? { toSequence } : {}) };
    for (const report of [api, cli, python]) {
      expect(report.ok).toBe(false);
      expect(report.findings?.map(({ detail: _d, ...rest }) => rest)).toEqual([expected]);
    }
  }

  it('verifies the intact trail everywhere, against three signed checkpoints', async () => {
    const { api, cli, python } = await reports();
    for (const report of [api, cli, python]) {
      expect(report).toMatchObject({ ok: true, checked: 12, findings: [] });
      expect(report.checkpoints).toMatchObject({ checked: 3, latest: { sequence: 12 }, unanchored: 0 });
    }
  });

  it('names an edited record', async () => {
    await restore();
    await gw.dataSource.query(q('UPDATE audit_records SET new_value_json = ? WHERE sequence = 6'), ['1']);
    await expectNamed('edited', 6);
  });

  it('names a record deleted in the middle', async () => {
    await restore();
    await gw.dataSource.query('DELETE FROM audit_records WHERE sequence = 6');
    await expectNamed('deleted', 6);
  });

  it('names a deleted tail, with the chain head moved back', async () => {
    await restore();
    await gw.dataSource.query('DELETE FROM audit_records WHERE sequence > 10');
    await moveHead(10, String(original[9].hash));
    await expectNamed('truncated', 11, 12);
  });

  it('names an edit re-sealed to the head', async () => {
    await restore();
    let previousHash = String(original[4].hash);
    await gw.dataSource.query('DELETE FROM audit_records WHERE sequence >= 6');
    for (const row of original.slice(5)) {
      const record = rowToAudit(row);
      if (record.sequence === 6) record.message = 'nothing happened here';
      const { hash: _hash, ...content } = record;
      const sealed = sealRecord({ ...content, previousHash });
      await insert({ ...row, message: sealed.message, previous_hash: previousHash, hash: sealed.hash });
      previousHash = sealed.hash;
    }
    await moveHead(12, previousHash);
    await expectNamed('re-sealed', 5, 8);
  });

  it('names two swapped records', async () => {
    await restore();
    await gw.dataSource.query('DELETE FROM audit_records WHERE sequence IN (6, 7)');
    await insert({ ...original[6], sequence: 6 });
    await insert({ ...original[5], sequence: 7 });
    await expectNamed('swapped', 6, 7);
  });

  it('names a forged checkpoint line', async () => {
    await restore();
    const file = path.join(gw.dataDir, 'audit-checkpoints.ndjson');
    const lines = fs.readFileSync(file, 'utf8');
    const last = JSON.parse(lines.trim().split('\n').pop() as string) as { sequence: number };
    fs.appendFileSync(file, `${JSON.stringify({ ...last, sequence: 40 })}\n`);
    try {
      await expectNamed('checkpoint-forged', 40);
    } finally {
      fs.writeFileSync(file, lines);
    }
  });
});
