/**
 * The client address the login throttle keys on: behind a trusted reverse proxy it is the one the
 * proxy reports (X-Forwarded-For); from anyone else the header is ignored, so a client cannot
 * choose its own address.
 */
import { API_PREFIX } from '@loopgate/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { trustProxySetting } from '../../server/src/app';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from './gateway';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

async function attempts(forwardedFor: string, password: string, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) {
    const response = await gw!.request('POST', `${API_PREFIX}/auth/login`, {
      body: { username: 'admin', password },
      headers: { 'x-forwarded-for': forwardedFor },
    });
    statuses.push(response.status);
  }
  return statuses;
}

describe('client address behind a reverse proxy', () => {
  it('keys the throttle by the address a trusted proxy reports: one client slowed, another signs in', async () => {
    gw = await startTestGateway({ trustProxy: 'loopback' });
    expect(await attempts('10.1.1.1', 'wrong password here', 6)).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await attempts('10.2.2.2', ADMIN_PASSWORD, 1)).toEqual([200]);
  });

  it('ignores X-Forwarded-For when no proxy is trusted: a client cannot pick its address', async () => {
    gw = await startTestGateway();
    expect(await attempts('10.1.1.1', 'wrong password here', 5)).toEqual([401, 401, 401, 401, 401]);
    // Claiming another address changes nothing: the socket's address is the one slowed.
    expect(await attempts('10.9.9.9', ADMIN_PASSWORD, 1)).toEqual([429]);
  });

  it('reads LOOPGATE_TRUST_PROXY as Express takes it', () => {
    expect(trustProxySetting(undefined)).toBeUndefined();
    expect(trustProxySetting('true')).toBe(true);
    expect(trustProxySetting('2')).toBe(2);
    expect(trustProxySetting('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
  });
});
