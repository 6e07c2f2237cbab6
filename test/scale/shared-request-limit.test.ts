/**
 * One API allowance across every gateway: three real gateway processes on one PostgreSQL database
 * count a caller's requests in the store, so a service token allowed 60 requests a minute gets 60
 * answers from the three together, not 60 from each; the rest are 429 TOO_MANY_REQUESTS with
 * Retry-After. A signed-in person keeps their own allowance while the token is refused, and
 * requests without credentials are counted per client address (behind a trusted proxy, the one
 * the proxy reports).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { ensureServices } from '../support/services';
import {
  ADMIN_PASSWORD,
  assertBuilt,
  startGatewaysOnDatabase,
  stopGateway,
  TOKEN,
  type GatewayProcess,
} from './support/gateway-processes';

const PER_PRINCIPAL = 60;
const PER_ADDRESS = 300;

let db: TestDatabase;
let dir: string;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  await ensureServices(['postgres']);
  db = await createTestDatabase('postgres', { name: 'requestlimit' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-requestlimit-'));
  const started = await startGatewaysOnDatabase(db.location, dir, ['a', 'b', 'c'], {
    LOOPGATE_API_REQUESTS_PER_MINUTE: String(PER_PRINCIPAL),
    LOOPGATE_API_ANONYMOUS_REQUESTS_PER_MINUTE: String(PER_ADDRESS),
    LOOPGATE_TRUST_PROXY: 'loopback',
  });
  gateways.push(...started.map((s) => s.gateway));
}, 180_000);

afterAll(async () => {
  for (const gateway of gateways.splice(0)) await stopGateway(gateway);
  await db?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  code?: string;
  retryAfter: string | null;
  remaining: string | null;
}

/** `count` requests at once, each to one of the three processes chosen at random. */
async function spread(count: number, pathname: string, headers: Record<string, string>): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const port = gateways[Math.floor(Math.random() * gateways.length)].port;
      const response = await fetch(`http://127.0.0.1:${port}${pathname}`, { headers });
      const body = (await response.json().catch(() => ({}))) as { code?: string };
      return {
        status: response.status,
        code: body.code,
        retryAfter: response.headers.get('retry-after'),
        remaining: response.headers.get('ratelimit-remaining'),
      };
    }),
  );
}

const countBy = (answers: Answer[]) =>
  answers.reduce<Record<number, number>>((counts, a) => ({ ...counts, [a.status]: (counts[a.status] ?? 0) + 1 }), {});

describe('one API allowance across three gateway processes', () => {
  it('a service token gets its 60 requests of the minute from the three together; the rest are 429 with Retry-After', async () => {
    const answers = await spread(PER_PRINCIPAL + 40, '/api/v1/targets', { authorization: `Bearer ${TOKEN}` });
    expect(countBy(answers)).toEqual({ 200: PER_PRINCIPAL, 429: 40 });
    // Each granted request was told what was left after it, of the one count: 59 down to 0, each
    // once, however the processes counted the requests that arrived together.
    const remaining = answers.filter((a) => a.status === 200).map((a) => Number(a.remaining));
    expect(remaining.sort((a, b) => b - a)).toEqual(
      Array.from({ length: PER_PRINCIPAL }, (_, i) => PER_PRINCIPAL - 1 - i),
    );
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.code).toBe('TOO_MANY_REQUESTS');
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
      expect(refused.remaining).toBe('0');
    }
    // A signed-in person is not held by the token's flood.
    const login = await fetch(`http://127.0.0.1:${gateways[1].port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    expect(countBy(await spread(10, '/api/v1/targets', { authorization: `Bearer ${token}` }))).toEqual({ 200: 10 });
  });

  it('requests without credentials count per client address, as the trusted proxy reports it', async () => {
    const flooding = await spread(PER_ADDRESS + 30, '/health', { 'x-forwarded-for': '10.7.7.7' });
    expect(countBy(flooding)).toEqual({ 200: PER_ADDRESS, 429: 30 });
    expect(countBy(await spread(5, '/health', { 'x-forwarded-for': '10.8.8.8' }))).toEqual({ 200: 5 });
  });
});
