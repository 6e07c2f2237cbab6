import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { API_PREFIX } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeIdentityProvider } from '../../server/src/auth/testing/fake-idp';
import { freePort } from '../support/ports';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from './gateway';

describe('sign-in over HTTP', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => gw?.close());

  it('returns a token and sets it as an HttpOnly SameSite=Strict cookie that authenticates /auth/me', async () => {
    const response = await gw.request('POST', `${API_PREFIX}/auth/login`, {
      body: { username: 'admin', password: ADMIN_PASSWORD },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; expiresAt: string; user: { username: string } };
    expect(body.token).toMatch(/^lgu_/);
    expect(body.user.username).toBe('admin');
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^loopgate_session=lgu_/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const me = await gw.request('GET', `${API_PREFIX}/auth/me`, { headers: { cookie: cookie.split(';')[0] } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'user', username: 'admin', roles: ['admin'] });
  });

  it('refuses a wrong password with 401 INVALID_CREDENTIALS and no cookie', async () => {
    const response = await gw.request('POST', `${API_PREFIX}/auth/login`, {
      body: { username: 'admin', password: 'not the password' },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('ends the session at logout', async () => {
    const { token } = await gw.login('admin', ADMIN_PASSWORD);
    expect((await gw.request('POST', `${API_PREFIX}/auth/logout`, { token })).status).toBe(204);
    const me = await gw.request('GET', `${API_PREFIX}/auth/me`, { token });
    expect(me.status).toBe(401);
  });

  it('lets a service token read but not administer', async () => {
    const token = await gw.serviceToken('line1');
    expect(token).toMatch(/^lgs_/);
    expect(await (await gw.request('GET', `${API_PREFIX}/auth/me`, { token })).json()).toMatchObject({
      kind: 'service',
      username: 'token:line1',
    });
    expect((await gw.request('GET', `${API_PREFIX}/users`, { token })).status).toBe(403);
  });

  it('refuses a cookie-carried write from a foreign origin', async () => {
    const login = await gw.request('POST', `${API_PREFIX}/auth/login`, {
      body: { username: 'admin', password: ADMIN_PASSWORD },
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const response = await gw.request('POST', `${API_PREFIX}/tokens`, {
      body: { name: 'evil' },
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'FOREIGN_ORIGIN' });
  });

  it('sends security headers and no CORS headers by default', async () => {
    const response = await gw.request('GET', '/health', { headers: { origin: 'https://elsewhere.example' } });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the console’s page and assets, and leaves the API, /health and /metrics to the gateway', async () => {
    const html = { accept: 'text/html' };
    const asset = fs.readdirSync(path.resolve(__dirname, '../../editor/dist/assets')).find((f) => f.endsWith('.js'));
    expect(asset, 'the console is built').toBeDefined();
    const script = await gw.request('GET', `/assets/${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    for (const page of ['/', '/outcomes', '/rules/tool-wear']) {
      const response = await gw.request('GET', page, { headers: html });
      expect(response.status, page).toBe(200);
      expect(await response.text(), page).toMatch(/^<!doctype html>/i);
    }
    const missing = await gw.request('GET', `${API_PREFIX}/no-such-route`, { headers: html });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404 });
    const health = await gw.request('GET', '/health', { headers: html });
    expect(health.headers.get('content-type')).toMatch(/application\/json/);
    expect((await gw.request('GET', '/assets/no-such-file.js')).status).toBe(404);
  });

  it('refuses __proto__ in a body with 400 FORBIDDEN_KEY', async () => {
    const response = await gw.request('POST', `${API_PREFIX}/auth/login`, {
      text: '{"username":"a","password":"b","__proto__":{"admin":true}}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'FORBIDDEN_KEY', issues: [{ path: '$.__proto__' }] });
  });

  it('answers repeated wrong passwords with 429 LOGIN_DELAYED and Retry-After, and a weak new password with 400', async () => {
    const admin = await gw.admin();
    const weak = await gw.request('POST', `${API_PREFIX}/users`, {
      token: admin,
      body: { username: 'pia', roles: ['viewer'], password: 'password1234' },
    });
    expect(weak.status).toBe(400);
    expect(await weak.json()).toMatchObject({ code: 'PASSWORD_TOO_WEAK' });
    await gw.request('POST', `${API_PREFIX}/users`, {
      token: admin,
      body: { username: 'pia', roles: ['viewer'], password: 'pia tundra lantern 42' },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await gw.request('POST', `${API_PREFIX}/auth/login`, {
        body: { username: 'pia', password: `wrong password ${i}` },
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(await response.json()).toMatchObject({ code: 'LOGIN_DELAYED' });
      }
    }
    // Five failures (the threshold), then the wait: never a hard lock, never a 5xx.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('records role changes in the users API and ends the changed user’s sessions', async () => {
    const admin = await gw.admin();
    await gw.request('POST', `${API_PREFIX}/users`, {
      token: admin,
      body: { username: 'rolf', roles: ['viewer'], password: 'rolf password 123' },
    });
    const { token } = await gw.login('rolf', 'rolf password 123');
    const changed = await gw.request('PATCH', `${API_PREFIX}/users/rolf`, {
      token: admin,
      body: { roles: ['engineer'] },
    });
    expect(await changed.json()).toMatchObject({ username: 'rolf', roles: ['engineer'] });
    expect((await gw.request('GET', `${API_PREFIX}/auth/me`, { token })).status).toBe(401);
  });
});

describe('CORS and TLS configuration', () => {
  it('opens CORS only to LOOPGATE_CORS_ORIGINS', async () => {
    const gw = await startTestGateway({ corsOrigins: ['https://console.example'] });
    try {
      const allowed = await gw.request('GET', '/health', { headers: { origin: 'https://console.example' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example');
      const other = await gw.request('GET', '/health', { headers: { origin: 'https://other.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await gw.close();
    }
  });

  it('serves HTTPS with LOOPGATE_TLS_CERT and LOOPGATE_TLS_KEY', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const gw = await startTestGateway({ tlsCert: cert, tlsKey: key });
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    try {
      expect(gw.url).toMatch(/^https:\/\//);
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
      const response = await fetch(`${gw.url}/health`);
      expect(response.status).toBe(200);
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
      const login = await fetch(`${gw.url}${API_PREFIX}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      });
      expect(login.headers.get('set-cookie')).toMatch(/; Secure/i);
    } finally {
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
      await gw.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('OpenID Connect over HTTP', () => {
  const idp = new FakeIdentityProvider('loopgate', 'client-secret');
  let gw: TestGateway;

  beforeAll(async () => {
    const issuer = await idp.start();
    // The redirect URL must name the gateway's port before it starts: take one the OS says is free.
    const port = await freePort();
    gw = await startTestGateway({
      port,
      oidcIssuer: issuer,
      oidcClientId: 'loopgate',
      oidcClientSecret: 'client-secret',
      oidcRedirectUrl: `http://127.0.0.1:${port}${API_PREFIX}/auth/oidc/callback`,
      oidcRoleMap: 'plant-qa=qa',
      oidcAllowInsecure: true,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await idp.stop();
  });

  it('redirects to the IdP, and the callback starts a session cookie and returns to the console', async () => {
    expect(await (await gw.request('GET', `${API_PREFIX}/auth/providers`)).json()).toMatchObject({
      oidc: { loginUrl: `${API_PREFIX}/auth/oidc/login` },
    });
    idp.identity = { sub: 'q-1', preferred_username: 'quinn', name: 'Quinn QA', groups: ['plant-qa'] };
    const start = await gw.request('GET', `${API_PREFIX}/auth/oidc/login?returnTo=%2Fapprovals`);
    expect(start.status).toBe(302);
    const stateCookie = (start.headers.get('set-cookie') ?? '').split(';')[0];
    expect(stateCookie).toMatch(/^loopgate_oidc_state=/);
    const atIdp = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
    const callback = new URL(atIdp.headers.get('location') ?? '');
    const back = await gw.request('GET', `${callback.pathname}${callback.search}`, {
      headers: { cookie: stateCookie },
    });
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('/approvals');
    const session = back.headers.getSetCookie().find((c) => c.startsWith('loopgate_session='));
    expect(session).toMatch(/HttpOnly/i);
    const me = await gw.request('GET', `${API_PREFIX}/auth/me`, { headers: { cookie: (session ?? '').split(';')[0] } });
    expect(await me.json()).toMatchObject({ username: 'quinn', displayName: 'Quinn QA', roles: ['qa'] });
  });

  it('refuses a callback without the browser’s state cookie', async () => {
    const start = await gw.request('GET', `${API_PREFIX}/auth/oidc/login`);
    const atIdp = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
    const callback = new URL(atIdp.headers.get('location') ?? '');
    const back = await gw.request('GET', `${callback.pathname}${callback.search}`);
    expect(back.status).toBe(400);
    expect(await back.json()).toMatchObject({ code: 'OIDC_STATE_MISMATCH' });
  });
});
