import { Body, Controller, Get, Post, Query, Req, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../common/errors';
import type { Authentication, Authenticator } from '../authenticator';
import { RequestLimit } from '../limits/request-limit';
import { RequirePermission } from '../permissions';
import type { Principal } from '../principal';
import { InputShapeGuard } from './input-shape.guard';
import { PermissionGuard } from './permission.guard';
import { routeShape } from './route-shape';

class ListQuery {
  limit?: number;
}

@Controller('things')
class ThingsController {
  @Get()
  @RequirePermission('read')
  list(@Query() _query: ListQuery) {}

  @Get('named')
  @RequirePermission('public')
  named(@Query('page') _page: string) {}

  @Post()
  @RequirePermission('rules:edit')
  create(@Body() _body: object) {}

  @Post('act')
  @RequirePermission('target:control')
  act() {}

  @Post('raw')
  @RequirePermission('read')
  raw(@Req() _req: unknown) {}

  @Get('undeclared')
  undeclared() {}
}

interface FakeRequest {
  method: string;
  headers: Record<string, string>;
  body?: unknown;
  query?: Record<string, unknown>;
  ip?: string;
  principal?: Principal;
}

function contextFor(
  method: keyof ThingsController,
  request: FakeRequest,
  responseHeaders: Record<string, string> = {},
): ExecutionContext {
  const response = { setHeader: (name: string, value: string) => (responseHeaders[name] = value) };
  return {
    getType: () => 'http',
    getClass: () => ThingsController,
    getHandler: () => ThingsController.prototype[method],
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }),
  } as unknown as ExecutionContext;
}

const viewer: Principal = { kind: 'user', id: 'vic', displayName: 'Vic', roles: ['viewer'] };
const engineer: Principal = { kind: 'user', id: 'eve', displayName: 'Eve', roles: ['engineer'] };

const unlimited = () => new RequestLimit({ apiRequestsPerMinute: 0, apiAnonymousRequestsPerMinute: 0 });

function guardWith(
  result: Authentication | undefined | Error,
  corsOrigins: string[] = [],
  limit: RequestLimit = unlimited(),
): PermissionGuard {
  const authenticator = {
    authenticate: async () => {
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as Authenticator;
  return new PermissionGuard(new Reflector(), authenticator, limit, { corsOrigins });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string; status: number }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return { code: error.code, status: error.status };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('PermissionGuard', () => {
  it('refuses a route that declares no permission, even for an admin', async () => {
    const admin: Principal = { ...engineer, roles: ['admin'] };
    const guard = guardWith({ principal: admin, via: 'bearer' });
    expect(await refusal(guard.canActivate(contextFor('undeclared', { method: 'GET', headers: {} })))).toEqual({
      code: 'PERMISSION_UNDECLARED',
      status: 403,
    });
  });

  it('lets anyone reach a public route, ignoring stale credentials', async () => {
    const guard = guardWith(new UserError('SESSION_EXPIRED', 'expired', 401));
    await expect(guardWith(undefined).canActivate(contextFor('named', { method: 'GET', headers: {} }))).resolves.toBe(
      true,
    );
    await expect(guard.canActivate(contextFor('named', { method: 'GET', headers: {} }))).resolves.toBe(true);
  });

  it('answers 401 without credentials and passes on bad ones', async () => {
    expect(await refusal(guardWith(undefined).canActivate(contextFor('list', { method: 'GET', headers: {} })))).toEqual(
      { code: 'UNAUTHENTICATED', status: 401 },
    );
    const expired = guardWith(new UserError('SESSION_EXPIRED', 'expired', 401));
    expect(await refusal(expired.canActivate(contextFor('list', { method: 'GET', headers: {} })))).toEqual({
      code: 'SESSION_EXPIRED',
      status: 401,
    });
  });

  it('answers 403 to a role without the permission and lets the right role in', async () => {
    const request: FakeRequest = { method: 'POST', headers: {} };
    expect(
      await refusal(guardWith({ principal: viewer, via: 'bearer' }).canActivate(contextFor('create', request))),
    ).toEqual({ code: 'FORBIDDEN', status: 403 });
    await expect(
      guardWith({ principal: engineer, via: 'bearer' }).canActivate(contextFor('create', request)),
    ).resolves.toBe(true);
    expect(request.principal).toBe(engineer);
  });

  it('refuses a cookie-carried write from another origin but not from its own', async () => {
    const foreign = { method: 'POST', headers: { origin: 'https://evil.example', host: 'gw:1880' } };
    expect(
      await refusal(guardWith({ principal: engineer, via: 'cookie' }).canActivate(contextFor('create', foreign))),
    ).toMatchObject({ code: 'FOREIGN_ORIGIN' });
    const own = { method: 'POST', headers: { origin: 'http://gw:1880', host: 'gw:1880' } };
    await expect(
      guardWith({ principal: engineer, via: 'cookie' }).canActivate(contextFor('create', own)),
    ).resolves.toBe(true);
    await expect(
      guardWith({ principal: engineer, via: 'cookie' }, ['https://evil.example']).canActivate(
        contextFor('create', foreign),
      ),
    ).resolves.toBe(true);
    await expect(
      guardWith({ principal: engineer, via: 'bearer' }).canActivate(contextFor('create', foreign)),
    ).resolves.toBe(true);
  });

  it("counts a principal's requests: past its minute's allowance 429 with Retry-After, another principal unaffected", async () => {
    const limit = new RequestLimit({ apiRequestsPerMinute: 3, apiAnonymousRequestsPerMinute: 100 });
    const asEve = guardWith({ principal: engineer, via: 'bearer' }, [], limit);
    const headers: Record<string, string> = {};
    for (let i = 0; i < 3; i++) await asEve.canActivate(contextFor('list', { method: 'GET', headers: {} }, headers));
    expect(headers).toMatchObject({ 'RateLimit-Limit': '3', 'RateLimit-Remaining': '0' });
    let refused: unknown;
    await asEve.canActivate(contextFor('list', { method: 'GET', headers: {} }, headers)).catch((e) => (refused = e));
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', status: 429 });
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(60);
    // Vic has his own allowance: Eve's flood does not reach him.
    await expect(
      guardWith({ principal: viewer, via: 'bearer' }, [], limit).canActivate(
        contextFor('list', { method: 'GET', headers: {} }),
      ),
    ).resolves.toBe(true);
  });

  it('counts bad credentials against the client address: guessing tokens ends in 429, another address is answered', async () => {
    const limit = new RequestLimit({ apiRequestsPerMinute: 100, apiAnonymousRequestsPerMinute: 2 });
    const guessing = guardWith(new UserError('UNAUTHENTICATED', 'unknown token', 401), [], limit);
    const from = (ip: string) => contextFor('list', { method: 'GET', headers: {}, ip });
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) codes.push((await refusal(guessing.canActivate(from('10.0.0.9')))).code);
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
    expect((await refusal(guessing.canActivate(from('10.0.0.10')))).code).toBe('UNAUTHENTICATED');
  });

  it('sets no allowance headers when the limit is off (0)', async () => {
    const headers: Record<string, string> = {};
    const guard = guardWith({ principal: engineer, via: 'bearer' });
    for (let i = 0; i < 50; i++) await guard.canActivate(contextFor('list', { method: 'GET', headers: {} }, headers));
    expect(headers).toEqual({});
  });
});

describe('InputShapeGuard', () => {
  const guard = new InputShapeGuard();
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as UserError).code;
    }
    return 'passed';
  };

  it('reads what a handler declares', () => {
    expect(routeShape(ThingsController, 'list')).toMatchObject({ body: false, queryDto: ListQuery, rawRequest: false });
    expect(routeShape(ThingsController, 'named')).toMatchObject({ queryKeys: ['page'] });
    expect(routeShape(ThingsController, 'create')).toMatchObject({ body: true });
    expect(routeShape(ThingsController, 'raw')).toMatchObject({ rawRequest: true });
  });

  it('refuses a body on a route that takes none, but not an empty one', () => {
    expect(
      codeOf(() => guard.canActivate(contextFor('act', { method: 'POST', headers: {}, body: { stop: true } }))),
    ).toBe('UNEXPECTED_BODY');
    expect(codeOf(() => guard.canActivate(contextFor('act', { method: 'POST', headers: {}, body: {} })))).toBe(
      'passed',
    );
  });

  it('refuses query fields a route does not read', () => {
    expect(codeOf(() => guard.canActivate(contextFor('act', { method: 'POST', headers: {}, query: { x: '1' } })))).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      codeOf(() => guard.canActivate(contextFor('named', { method: 'GET', headers: {}, query: { page: '2' } }))),
    ).toBe('passed');
    expect(
      codeOf(() =>
        guard.canActivate(contextFor('named', { method: 'GET', headers: {}, query: { page: '2', sort: 'x' } })),
      ),
    ).toBe('VALIDATION_FAILED');
  });

  it('leaves a query DTO to the validation pipe', () => {
    expect(
      codeOf(() => guard.canActivate(contextFor('list', { method: 'GET', headers: {}, query: { anything: '1' } }))),
    ).toBe('passed');
  });
});
