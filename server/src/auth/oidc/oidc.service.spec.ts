import type { INestApplicationContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../common/errors';
import { ConfigError, loadConfig } from '../../config/config';
import { UsersService } from '../identity/users.service';
import { createAuthContext } from '../testing/auth-context';
import { FakeIdentityProvider } from '../testing/fake-idp';
import { OidcService, parseRoleMap, rolesFromClaims, safeReturnPath } from './oidc.service';

describe('OpenID Connect settings', () => {
  it('map IdP groups to roles, with an optional default role', () => {
    expect(parseRoleMap('eng=engineer, admins=admin,eng=qa')).toEqual(
      new Map([
        ['eng', ['engineer', 'qa']],
        ['admins', ['admin']],
      ]),
    );
    const settings = { oidcRolesClaim: 'groups', oidcRoleMap: 'eng=engineer,admins=admin' };
    expect(rolesFromClaims({ groups: ['admins', 'eng', 'other'] }, settings)).toEqual(['engineer', 'admin']);
    expect(rolesFromClaims({ groups: 'eng' }, settings)).toEqual(['engineer']);
    expect(rolesFromClaims({ groups: ['other'] }, settings)).toEqual([]);
    expect(rolesFromClaims({}, { ...settings, oidcDefaultRole: 'viewer' })).toEqual(['viewer']);
  });

  it('return only to paths on this server', () => {
    expect(safeReturnPath('/approvals?x=1')).toBe('/approvals?x=1');
    for (const bad of ['https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)', undefined])
      expect(safeReturnPath(bad)).toBe('/');
  });

  it('are validated together, naming the environment variables', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ LOOPGATE_OIDC_ISSUER: 'https://idp.example' })).toEqual([
      'LOOPGATE_OIDC_CLIENT_ID: required when OpenID Connect sign-in is configured',
      'LOOPGATE_OIDC_REDIRECT_URL: required when OpenID Connect sign-in is configured',
    ]);
    const insecure = {
      LOOPGATE_OIDC_ISSUER: 'http://idp',
      LOOPGATE_OIDC_CLIENT_ID: 'c',
      LOOPGATE_OIDC_REDIRECT_URL: 'https://gw/api/v1/auth/oidc/callback',
    };
    expect(problems(insecure)[0]).toMatch(/^LOOPGATE_OIDC_ISSUER: must be https/);
    expect(problems({ ...insecure, LOOPGATE_OIDC_ALLOW_INSECURE: 'true' })).toEqual([]);
    expect(problems({ LOOPGATE_OIDC_ROLE_MAP: 'eng=wizard' })[0]).toMatch(/^LOOPGATE_OIDC_ROLE_MAP: /);
    expect(problems({ LOOPGATE_OIDC_REDIRECT_URL: 'https://gw/elsewhere' })[0]).toMatch(
      /^LOOPGATE_OIDC_REDIRECT_URL: /,
    );
  });
});

describe('OpenID Connect sign-in against a local IdP', () => {
  const idp = new FakeIdentityProvider('loopgate', 'client-secret');
  let context: INestApplicationContext;
  let oidc: OidcService;

  beforeAll(async () => {
    const issuer = await idp.start();
    ({ context } = await createAuthContext({
      oidcIssuer: issuer,
      oidcClientId: 'loopgate',
      oidcClientSecret: 'client-secret',
      oidcRedirectUrl: 'http://127.0.0.1:18799/api/v1/auth/oidc/callback',
      oidcRoleMap: 'plant-engineers=engineer',
      oidcAllowInsecure: true,
    }));
    oidc = context.get(OidcService);
  });

  afterAll(async () => {
    await context?.close();
    await idp.stop();
  });

  /** Follows the redirect to the IdP and returns the query it sends back to the callback. */
  async function signInAtIdp(returnTo?: string): Promise<{ query: Record<string, string>; state: string }> {
    const { url, state } = await oidc.begin(returnTo);
    const authorize = new URL(url);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    const response = await fetch(url, { redirect: 'manual' });
    const back = new URL(response.headers.get('location') ?? '');
    expect(back.pathname).toBe('/api/v1/auth/oidc/callback');
    return { query: Object.fromEntries(back.searchParams), state };
  }

  it('creates the user with roles from the IdP groups and returns to the asked path', async () => {
    idp.identity = { sub: 's-1', preferred_username: 'Erin.Eng', name: 'Erin Engineer', groups: ['plant-engineers'] };
    const { query, state } = await signInAtIdp('/rules');
    const { user, returnTo } = await oidc.complete(query, state);
    expect(user).toMatchObject({
      username: 'erin.eng',
      displayName: 'Erin Engineer',
      roles: ['engineer'],
      passwordHash: null,
    });
    expect(returnTo).toBe('/rules');
    expect(await context.get(UsersService).get('erin.eng')).toMatchObject({ sso: true, hasPassword: false });
  });

  it('refuses a callback whose state is not this browser’s', async () => {
    idp.identity = { sub: 's-2', preferred_username: 'mallory', groups: ['plant-engineers'] };
    const { query } = await signInAtIdp();
    await expect(oidc.complete(query, 'another-state')).rejects.toMatchObject({ code: 'OIDC_STATE_MISMATCH' });
  });

  it('refuses a code replayed after it was used', async () => {
    idp.identity = { sub: 's-3', preferred_username: 'rita', groups: ['plant-engineers'] };
    const { query, state } = await signInAtIdp();
    await oidc.complete(query, state);
    await expect(oidc.complete(query, state)).rejects.toMatchObject({ code: 'OIDC_STATE_MISMATCH' });
  });

  it('refuses a user whose groups map to no role', async () => {
    idp.identity = { sub: 's-4', preferred_username: 'guest', groups: ['visitors'] };
    const { query, state } = await signInAtIdp();
    const error = await oidc.complete(query, state).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'OIDC_NO_ROLE', status: 403 });
  });

  it('reports OIDC_FAILED when the IdP refuses the code exchange', async () => {
    idp.identity = { sub: 's-5', preferred_username: 'tess', groups: ['plant-engineers'] };
    const { query, state } = await signInAtIdp();
    await expect(oidc.complete({ ...query, code: 'forged' }, state)).rejects.toMatchObject({
      code: 'OIDC_FAILED',
      status: 401,
    });
  });
});
