import { ROLES, type Role } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PERMISSIONS,
  ROLE_PERMISSIONS,
  SERVICE_TOKEN_PERMISSIONS,
  type Permission,
} from '../../server/src/auth/permissions';
import { startTestGateway, type TestGateway } from './gateway';
import { allRoutes, concretePath, type RouteInfo } from './routes';

/**
 * Every route of the real AppModule, found at run time (routes other modules add later are
 * covered without editing this test): each declares a permission, refuses a caller without a
 * session (401), and refuses a session whose role lacks the permission (403).
 */
describe('every route declares and enforces its permission', () => {
  let gw: TestGateway;
  let routes: RouteInfo[];
  let unmatched: string[];

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ routes, unmatched } = allRoutes(gw));
  });
  afterAll(async () => gw?.close());

  it('finds the routes, each served by exactly one controller handler', () => {
    expect(unmatched).toEqual([]);
    expect(routes.length).toBeGreaterThan(10);
    for (const expected of [
      'POST /api/v1/auth/login',
      'GET /api/v1/users',
      'DELETE /api/v1/tokens/:id',
      'GET /health',
    ]) {
      expect(routes.map((r) => `${r.method} ${r.path}`)).toContain(expected);
    }
  });

  it('declares a known permission on every route', () => {
    const undeclared = routes
      .filter((r) => !r.permission || !PERMISSIONS.includes(r.permission))
      .map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`);
    expect(undeclared).toEqual([]);
  });

  it('validates whole queries with a DTO class, never a bare object', () => {
    const bare = routes
      .filter(
        (r) =>
          r.shape.queryDto !== undefined && (r.shape.queryDto === Object || typeof r.shape.queryDto !== 'function'),
      )
      .map((r) => `${r.method} ${r.path}`);
    expect(bare).toEqual([]);
  });

  it('answers 401 UNAUTHENTICATED to every non-public route without a session', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      const response = await gw.request(route.method, concretePath(route.path));
      const body = route.method === 'HEAD' ? {} : ((await response.json().catch(() => ({}))) as { code?: string });
      if (route.permission === 'public') {
        if (response.status === 401 || response.status === 403)
          wrong.push(`${route.method} ${route.path}: public but ${response.status}`);
      } else if (response.status !== 401 || body.code !== 'UNAUTHENTICATED') {
        wrong.push(`${route.method} ${route.path}: ${response.status} ${body.code}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers 401 to an invalid or malformed token', async () => {
    const route = routes.find((r) => r.permission === 'users:admin') as RouteInfo;
    for (const authorization of [
      'Bearer lgu_not-a-session-token-at-all',
      'Bearer lgs_unknownservicetoken0123456789',
      'Basic YWRtaW46YWRtaW4=',
    ]) {
      expect((await gw.request(route.method, concretePath(route.path), { headers: { authorization } })).status).toBe(
        401,
      );
    }
  });

  it('answers 403 FORBIDDEN to every route for a role without its permission', async () => {
    const roleLacking = (permission: Permission): Role | undefined =>
      ROLES.find((role) => !ROLE_PERMISSIONS[role].includes(permission));
    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes) {
      if (route.permission === 'public' || !route.permission) continue;
      const role = roleLacking(route.permission);
      if (!role) {
        // Held by every role (e.g. `read`): no session can lack it.
        expect(ROLES.every((r) => ROLE_PERMISSIONS[r].includes(route.permission as Permission))).toBe(true);
        continue;
      }
      const response = await gw.request(route.method, concretePath(route.path), { token: await gw.tokenFor(role) });
      const body = (await response.json().catch(() => ({}))) as { code?: string };
      checked++;
      if (response.status !== 403 || body.code !== 'FORBIDDEN')
        wrong.push(`${route.method} ${route.path} as ${role}: ${response.status} ${body.code}`);
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });

  it('answers 403 to a service token on every route beyond its least privilege', async () => {
    const token = await gw.serviceToken('least-privilege');
    const wrong: string[] = [];
    for (const route of routes) {
      if (!route.permission || route.permission === 'public' || SERVICE_TOKEN_PERMISSIONS.includes(route.permission))
        continue;
      const response = await gw.request(route.method, concretePath(route.path), { token });
      if (response.status !== 403) wrong.push(`${route.method} ${route.path}: ${response.status}`);
    }
    expect(wrong).toEqual([]);
  });
});
