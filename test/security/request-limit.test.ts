/**
 * The API allowance on the embedded gateway (SQLite): each principal's requests of the minute are
 * counted in the database, answered with the RateLimit headers, refused past the allowance with
 * 429 TOO_MANY_REQUESTS and Retry-After, still refused after a restart (the count is stored, not
 * remembered), and counted in the metrics.
 */
import { API_PREFIX } from '@loopgate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './gateway';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('API allowance per principal', () => {
  it('counts, refuses past the allowance with Retry-After, and still refuses after a restart', async () => {
    gw = await startTestGateway({ apiRequestsPerMinute: 5 });
    const token = await gw.admin();
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await gw.request('GET', `${API_PREFIX}/auth/me`, { token });
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBe('5');
      remaining.push(response.headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    const refused = await gw.request('GET', `${API_PREFIX}/auth/me`, { token });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe('TOO_MANY_REQUESTS');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const metrics = await (await gw.request('GET', '/metrics')).text();
    expect(metrics).toMatch(/loopgate_api_requests_refused_total\{caller="user"\} 1\b/);

    // The same database after a restart: the minute's count is read from the store.
    const dataDir = gw.dataDir;
    await gw.gateway.close();
    gw = await startTestGateway({ apiRequestsPerMinute: 5, dataDir });
    const afterRestart = await gw.request('GET', `${API_PREFIX}/auth/me`, { token });
    expect(afterRestart.status).toBe(429);
  });
});
