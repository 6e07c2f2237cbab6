/**
 * An open outcome stream ends once the credential it was opened with stops holding: a service
 * token revoked, a user disabled. Measured from the revoking answer to the end of the stream.
 */
import { API_PREFIX } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => gw?.close());

/** Opens the stream and resolves, once it is flowing, with a promise of when it ends and what came after `since`. */
async function openStream(token: string) {
  const response = await fetch(`${gw.url}${API_PREFIX}/outcomes/stream`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const chunks: { at: number; text: string }[] = [];
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return performance.now();
      chunks.push({ at: performance.now(), text: new TextDecoder().decode(value) });
    }
  })();
  return { ended, chunks };
}

describe('outcome stream and revocation', () => {
  it('ends a service token’s open stream within a second of the revocation', async () => {
    const admin = await gw.admin();
    const created = await gw.request('POST', `${API_PREFIX}/tokens`, { token: admin, body: { name: 'streamer' } });
    const { id, token } = (await created.json()) as { id: string; token: string };
    const stream = await openStream(token);
    // Still open while the token holds: a control change arrives on it.
    await gw.request('POST', `${API_PREFIX}/control/stop`, { token: admin, body: { reason: 'drill' } });
    await expect
      .poll(() => stream.chunks.some((c) => c.text.includes('event: control')), { timeout: 5_000 })
      .toBe(true);
    const revoked = await gw.request('DELETE', `${API_PREFIX}/tokens/${id}`, { token: admin });
    expect(revoked.status).toBe(200);
    const revokedAt = performance.now();
    const endedAt = await stream.ended;
    expect(endedAt - revokedAt).toBeLessThan(1_000);
    // Nothing after the revocation reaches the revoked token's stream.
    await gw.request('POST', `${API_PREFIX}/control/resume`, { token: admin, body: { reason: 'drill over' } });
    expect(stream.chunks.filter((c) => c.at > endedAt)).toEqual([]);
    expect((await gw.request('GET', `${API_PREFIX}/outcomes/stream`, { token })).status).toBe(401);
  });

  it('ends a person’s open stream within a second of their account being disabled', async () => {
    const token = await gw.tokenFor('viewer');
    const stream = await openStream(token);
    const admin = await gw.admin();
    const disabled = await gw.request('PATCH', `${API_PREFIX}/users/u-viewer`, {
      token: admin,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(200);
    const disabledAt = performance.now();
    expect((await stream.ended) - disabledAt).toBeLessThan(1_000);
  });
});
