/**
 * The compose demo's simulators container, run as that container runs it: `plant-main` starts every
 * target simulator in one process, linked like the embedded demo: a FeedRate applied to the cell's
 * recipe at Opcenter (here by a person at the MES) is downloaded to the OPC UA CNC cell; another
 * recipe's stays in the MES. SIGTERM stops it cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGET_KINDS } from '@loopgate/contracts';
import { freePort } from '../support/ports';

const MAIN = path.resolve(__dirname, '..', '..', 'server', 'dist', 'demo', 'plant-main.js');

let child: ChildProcess;
let cellAdmin: string;
const urls = new Map<string, string>();

interface LedgerEntry {
  object: string;
  parameter: string;
  value: unknown;
  operation: string;
  externalRef?: string;
}

beforeAll(async () => {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const adminPort = await freePort();
  cellAdmin = `http://127.0.0.1:${adminPort}/__admin`;
  child = spawn(process.execPath, [MAIN, ...TARGET_KINDS.flatMap((kind) => ['--port', `${kind}=0`])], {
    env: {
      PATH: process.env.PATH,
      LOOPGATE_SIM_SECRET: 'plant-test-secret',
      LOOPGATE_CNC_ADMIN_PORT: String(adminPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(/^(\w+) simulator listening on (\S+)$/gm)) urls.set(match[1], match[2]);
      if (output.includes('linked:')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`plant-main exited with ${code}:\n${output}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function cellLedger(): Promise<LedgerEntry[]> {
  return ((await (await fetch(`${cellAdmin}/ledger`)).json()) as { entries: LedgerEntry[] }).entries;
}

async function operatorEdit(object: string, value: number): Promise<void> {
  const response = await fetch(`${urls.get('opcenter')}/__admin/operator-edit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ object, parameter: 'FeedRate', value, user: 'otto' }),
  });
  expect(response.status).toBe(204);
}

describe('the demo plant in one process', () => {
  it('starts every simulator and downloads the cell recipe’s FeedRate from Opcenter to the CNC cell', async () => {
    expect([...urls.keys()].sort()).toEqual([...TARGET_KINDS].sort());
    await operatorEdit('CNC-01/OP20', 1010);
    await operatorEdit('CNC_Cell_01/OP20', 1111);
    // The cell's ledger records the download once the MES has applied the value.
    await expect
      .poll(async () => (await cellLedger()).filter((e) => e.operation === 'recipe-download'), { timeout: 10_000 })
      .toEqual([expect.objectContaining({ parameter: 'FeedRate', value: 1111, externalRef: 'CNC_Cell_01/OP20' })]);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
