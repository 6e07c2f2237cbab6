/**
 * OpenID Connect sign-in at the gateway (server/src/auth/oidc) against a real OpenID Provider
 * (oidc-provider, OpenID-certified) started locally: the authorization code flow with PKCE, state
 * and nonce, driven hop by hop as a browser would, through the provider's own login page.
 */
import { API_PREFIX } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/src/demo/stack';
import { startTestGateway, type TestGateway } from '../security/gateway';
import { Browser, LocalOpenIdProvider, type InteractionPage, type ProviderUser } from './openid-provider';

const CLIENT_ID = 'loopgate-console';
const CLIENT_SECRET = 'a client secret only this test knows';

const USERS: Record<string, ProviderUser> = {
  quinn: {
    password: 'quinn at the IdP',
    claims: { sub: 'f4a1-quinn', preferred_username: 'Quinn.QA', name: 'Quinn QA', groups: ['plant-qa', 'all-staff'] },
  },
  visitor: {
    password: 'visitor at the IdP',
    claims: { sub: 'f4a1-visitor', preferred_username: 'visitor', name: 'A Visitor', groups: ['all-staff'] },
  },
};

/** The gateway and the provider, each knowing the other's address before it starts. */
async function start(conformIdTokenClaims: boolean): Promise<{ gw: TestGateway; idp: LocalOpenIdProvider }> {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}${API_PREFIX}/auth/oidc/callback`;
  const idp = new LocalOpenIdProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri,
    users: USERS,
    conformIdTokenClaims,
  });
  const issuer = await idp.start();
  const gw = await startTestGateway({
    port,
    oidcIssuer: issuer,
    oidcClientId: CLIENT_ID,
    oidcClientSecret: CLIENT_SECRET,
    oidcRedirectUrl: redirectUri,
    oidcScopes: 'openid profile email groups',
    oidcRoleMap: 'plant-qa=qa',
    oidcAllowInsecure: true,
  });
  return { gw, idp };
}

/** From the console's "Sign in with SSO" to the provider's login page. */
async function openLoginPage(browser: Browser, gw: TestGateway): Promise<InteractionPage> {
  const start = await browser.go(`${gw.url}${API_PREFIX}/auth/oidc/login?returnTo=%2Fapprovals`);
  expect(start.response.status).toBe(302);
  const authorize = start.location!;
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  const interaction = (await browser.go(authorize)).location!;
  const page = await browser.go(interaction);
  expect(page.response.status).toBe(200);
  return (await page.response.json()) as InteractionPage;
}

/** Signs in at the provider and returns the gateway's callback URL it redirects to. */
async function signInAtProvider(browser: Browser, gw: TestGateway, idp: LocalOpenIdProvider, username: string) {
  const page = await openLoginPage(browser, gw);
  expect(page.prompt).toBe('login');
  const done = await browser.go(`${idp.issuer}/interaction/${page.uid}/login`, {
    username,
    password: USERS[username].password,
  });
  expect(done.response.status).toBe(303);
  return browser.followUntil(done.location!, new URL(gw.url).origin);
}

describe.each([
  { conform: true, where: 'only from the UserInfo endpoint (strict OpenID Connect Core 5.4)' },
  { conform: false, where: 'in the ID token' },
])('OIDC sign-in against oidc-provider, claims $where', ({ conform }) => {
  let gw: TestGateway;
  let idp: LocalOpenIdProvider;

  beforeAll(async () => {
    ({ gw, idp } = await start(conform));
  });
  afterAll(async () => {
    await gw?.close();
    await idp?.stop();
  });

  it('signs a user in through the provider: session cookie, roles from the groups claim, back to the page asked for', async () => {
    const browser = new Browser();
    const callback = await signInAtProvider(browser, gw, idp, 'quinn');
    expect(callback.pathname).toBe(`${API_PREFIX}/auth/oidc/callback`);
    expect(callback.searchParams.get('iss')).toBe(idp.issuer);
    const back = await browser.go(callback);
    expect(back.response.status).toBe(302);
    expect(back.response.headers.get('location')).toBe('/approvals');
    expect(browser.cookie(new URL(gw.url).origin, 'loopgate_session')).toMatch(/^lgu_/);
    const me = await browser.go(`${gw.url}${API_PREFIX}/auth/me`);
    expect(me.response.status).toBe(200);
    expect(await me.response.json()).toMatchObject({
      kind: 'user',
      username: 'quinn.qa',
      displayName: 'Quinn QA',
      roles: ['qa'],
    });
  });

  it('signs the same provider account in again as the same Loopgate user', async () => {
    for (let i = 0; i < 2; i++) {
      const browser = new Browser();
      expect((await browser.go(await signInAtProvider(browser, gw, idp, 'quinn'))).response.status).toBe(302);
    }
    const list = await gw.request('GET', `${API_PREFIX}/users`, { token: await gw.admin() });
    const { users } = (await list.json()) as { users: { username: string }[] };
    expect(users.filter((u) => u.username === 'quinn.qa')).toHaveLength(1);
  });

  it('refuses a user whose groups map to no Loopgate role: 403 OIDC_NO_ROLE, no session', async () => {
    const browser = new Browser();
    const back = await browser.go(await signInAtProvider(browser, gw, idp, 'visitor'));
    expect(back.response.status).toBe(403);
    expect(await back.response.json()).toMatchObject({ code: 'OIDC_NO_ROLE' });
    expect(browser.cookie(new URL(gw.url).origin, 'loopgate_session')).toBeUndefined();
  });

  it('reports a sign-in the user declined at the provider: 401 OIDC_DENIED', async () => {
    const browser = new Browser();
    const page = await openLoginPage(browser, gw);
    const declined = await browser.go(`${idp.issuer}/interaction/${page.uid}/abort`, {});
    const callback = await browser.followUntil(declined.location!, new URL(gw.url).origin);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const back = await browser.go(callback);
    expect(back.response.status).toBe(401);
    expect(await back.response.json()).toMatchObject({ code: 'OIDC_DENIED' });
  });

  it('refuses a code the provider did not issue for this sign-in: 401 OIDC_FAILED', async () => {
    const browser = new Browser();
    const callback = await signInAtProvider(browser, gw, idp, 'quinn');
    callback.searchParams.set('code', 'a-code-the-provider-never-issued');
    const back = await browser.go(callback);
    expect(back.response.status).toBe(401);
    expect(await back.response.json()).toMatchObject({ code: 'OIDC_FAILED' });
    expect(browser.cookie(new URL(gw.url).origin, 'loopgate_session')).toBeUndefined();
  });
});
