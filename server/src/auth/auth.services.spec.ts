import type { INestApplicationContext } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../common/errors';
import { Authenticator } from './authenticator';
import { AuthBootstrap } from './bootstrap.service';
import { LoginService } from './identity/login.service';
import { SessionsService } from './identity/sessions.service';
import { UsersRepository } from './identity/users.repository';
import { UsersService } from './identity/users.service';
import { SIGNATURE_SERVICE, type Principal, type SignatureService } from './principal';
import { createAuthContext } from './testing/auth-context';
import type { RecordingAuditWriter } from './testing/recording-audit';
import { ServiceTokensService } from './tokens/service-tokens.service';

const admin: Principal = { kind: 'user', id: 'root', displayName: 'Root', roles: ['admin'] };
const PASSWORD = 'a long enough password';
const HASH = 'a'.repeat(64);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return `${error.status} ${error.code}`;
    throw error;
  }
  return 'ok';
}

let context: INestApplicationContext;
let audit: RecordingAuditWriter;

beforeEach(async () => {
  ({ context, audit } = await createAuthContext({ lockoutThreshold: 3, lockoutMinutes: 15, sessionTtlMinutes: 60 }));
  await context
    .get(UsersService)
    .create({ username: 'olga', displayName: 'Olga', password: PASSWORD, roles: ['operator'] }, admin);
});

afterEach(async () => {
  await context.close();
});

describe('login', () => {
  it('returns an opaque session token that authenticates as the user, and audits it', async () => {
    const login = await context.get(LoginService).login('olga', PASSWORD, '10.0.0.1');
    expect(login.token).toMatch(/^lgu_/);
    expect(login.user).toEqual({ username: 'olga', displayName: 'Olga', roles: ['operator'] });
    const auth = await context.get(Authenticator).authenticate({ headers: { authorization: `Bearer ${login.token}` } });
    expect(auth?.principal).toEqual({ kind: 'user', id: 'olga', displayName: 'Olga', roles: ['operator'] });
    const byCookie = await context
      .get(Authenticator)
      .authenticate({ headers: { cookie: `loopgate_session=${login.token}` } });
    expect(byCookie?.via).toBe('cookie');
    expect(audit.entries.at(-1)).toMatchObject({ outcome: 'security', action: 'login', actor: 'olga' });
  });

  it('refuses a wrong password with 401 and audits the failure', async () => {
    expect(await codeOf(context.get(LoginService).login('olga', 'wrong password!!', '10.0.0.1'))).toBe(
      '401 INVALID_CREDENTIALS',
    );
    expect(audit.entries.at(-1)).toMatchObject({ action: 'login-failed', actor: 'olga', reasonCode: 'AUTH_FAILED' });
  });

  it('slows the account only for the address that failed, 1 s, 2 s, 4 s …, never locking it for everyone', async () => {
    const logins = context.get(LoginService);
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    try {
      for (let i = 0; i < 3; i++)
        expect(await codeOf(logins.login('olga', `wrong ${i}xxxxxxxx`, '10.0.0.66'))).toBe('401 INVALID_CREDENTIALS');
      expect(audit.entries.at(-1)).toMatchObject({ action: 'login-delayed', reasonCode: 'LOGIN_DELAYED' });
      // The attacker's address waits, even with the right password …
      const delayed = await logins.login('olga', PASSWORD, '10.0.0.66').catch((e: unknown) => e);
      expect(delayed).toMatchObject({ code: 'LOGIN_DELAYED', status: 429, retryAfterSeconds: 1 });
      // … while Olga at her own console signs in as usual.
      expect(await codeOf(logins.login('olga', PASSWORD, '10.0.0.2'))).toBe('ok');
      // Each further failure from there doubles the wait.
      vi.advanceTimersByTime(1_000);
      expect(await codeOf(logins.login('olga', 'wrong againxxxx', '10.0.0.66'))).toBe('401 INVALID_CREDENTIALS');
      expect(await logins.login('olga', PASSWORD, '10.0.0.66').catch((e: unknown) => e)).toMatchObject({
        retryAfterSeconds: 2,
      });
      vi.advanceTimersByTime(2_000);
      expect(await codeOf(logins.login('olga', 'wrong once morex', '10.0.0.66'))).toBe('401 INVALID_CREDENTIALS');
      expect(await logins.login('olga', PASSWORD, '10.0.0.66').catch((e: unknown) => e)).toMatchObject({
        retryAfterSeconds: 4,
      });
      // Once the wait is served, the right password works and the pair starts over.
      vi.advanceTimersByTime(4_000);
      expect(await codeOf(logins.login('olga', PASSWORD, '10.0.0.66'))).toBe('ok');
      expect(await codeOf(logins.login('olga', 'wrong after okxx', '10.0.0.66'))).toBe('401 INVALID_CREDENTIALS');
      expect(await codeOf(logins.login('olga', PASSWORD, '10.0.0.66'))).toBe('ok');
      expect(audit.actions()).not.toContain('account-locked');
    } finally {
      vi.useRealTimers();
    }
  });

  it('honours an account lock stored by an earlier version until its time is over', async () => {
    const logins = context.get(LoginService);
    const user = await context.get(UsersRepository).findByUsername('olga');
    await context.get(UsersRepository).update(user!.id, { lockedUntil: new Date(Date.now() + 60_000).toISOString() });
    expect(await codeOf(logins.login('olga', PASSWORD, '10.0.0.3'))).toBe('423 ACCOUNT_LOCKED');
    await context.get(UsersRepository).update(user!.id, { lockedUntil: new Date(Date.now() - 1000).toISOString() });
    expect(await codeOf(logins.login('olga', PASSWORD, '10.0.0.3'))).toBe('ok');
  });

  it('slows unknown user names the same way, so the answers do not reveal who exists', async () => {
    const logins = context.get(LoginService);
    for (let i = 0; i < 3; i++)
      expect(await codeOf(logins.login('nobody', 'whatever password', '10.0.0.4'))).toBe('401 INVALID_CREDENTIALS');
    expect(await codeOf(logins.login('nobody', 'whatever password', '10.0.0.4'))).toBe('429 LOGIN_DELAYED');
  });

  it('rate-limits one address', async () => {
    const logins = context.get(LoginService);
    const codes = new Set<string>();
    for (let i = 0; i < 31; i++) codes.add(await codeOf(logins.login(`user${i}`, 'whatever password', '10.9.9.9')));
    expect(codes).toContain('429 RATE_LIMITED');
  });

  it('ends the session at logout', async () => {
    const login = await context.get(LoginService).login('olga', PASSWORD, undefined);
    const auth = await context.get(Authenticator).authenticate({ headers: { authorization: `Bearer ${login.token}` } });
    await context.get(LoginService).logout(auth!);
    expect(
      await codeOf(context.get(Authenticator).authenticate({ headers: { authorization: `Bearer ${login.token}` } })),
    ).toBe('401 UNAUTHENTICATED');
  });
});

describe('sessions', () => {
  it('expire after their time to live', async () => {
    const user = await context.get(UsersRepository).findByUsername('olga');
    const { token } = await context.get(SessionsService).create(user!, 'password', new Date(Date.now() - 61 * 60_000));
    expect(await codeOf(context.get(SessionsService).resolve(token))).toBe('401 SESSION_EXPIRED');
  });

  it('end when the user is given other roles or disabled', async () => {
    const login = await context.get(LoginService).login('olga', PASSWORD, undefined);
    await context.get(UsersService).update('olga', { roles: ['viewer'] }, admin);
    expect(await codeOf(context.get(SessionsService).resolve(login.token))).toBe('401 UNAUTHENTICATED');
    expect(audit.entries.find((e) => e.action === 'roles-changed')).toMatchObject({
      actor: 'root',
      message: 'user olga roles operator -> viewer',
    });
  });

  it('refuse a malformed Authorization header', async () => {
    expect(
      await codeOf(context.get(Authenticator).authenticate({ headers: { authorization: 'Basic b2xnYTpw' } })),
    ).toBe('401 UNAUTHENTICATED');
  });
});

describe('service tokens', () => {
  it('authenticate as a service principal until revoked, stored only hashed', async () => {
    const tokens = context.get(ServiceTokensService);
    const created = await tokens.create('line1', admin);
    expect(created.token).toMatch(/^lgs_/);
    expect(JSON.stringify(await tokens.list())).not.toContain(created.token);
    const auth = await context
      .get(Authenticator)
      .authenticate({ headers: { authorization: `Bearer ${created.token}` } });
    expect(auth?.principal).toMatchObject({ kind: 'service', id: 'token:line1', roles: [] });
    await tokens.revoke(created.id, admin);
    expect(
      await codeOf(context.get(Authenticator).authenticate({ headers: { authorization: `Bearer ${created.token}` } })),
    ).toBe('401 UNAUTHENTICATED');
    expect(audit.actions()).toEqual(expect.arrayContaining(['token-created', 'token-used', 'token-revoked']));
  });

  it('audit their use once per hour, not on every request', async () => {
    const created = await context.get(ServiceTokensService).create('line2', admin);
    for (let i = 0; i < 5; i++)
      await context.get(Authenticator).authenticate({ headers: { authorization: `Bearer ${created.token}` } });
    expect(audit.actions().filter((a) => a === 'token-used')).toHaveLength(1);
  });

  it('are never accepted from the session cookie', async () => {
    const created = await context.get(ServiceTokensService).create('line3', admin);
    expect(
      await codeOf(
        context.get(Authenticator).authenticate({ headers: { cookie: `loopgate_session=${created.token}` } }),
      ),
    ).toBe('401 UNAUTHENTICATED');
  });
});

describe('users', () => {
  it('keeps at least one enabled admin', async () => {
    const users = context.get(UsersService);
    await users.create({ username: 'ada', password: PASSWORD, roles: ['admin'] }, admin);
    expect(await codeOf(users.update('ada', { roles: ['viewer'] }, admin))).toBe('409 LAST_ADMIN');
    expect(await codeOf(users.update('ada', { disabled: true }, admin))).toBe('409 LAST_ADMIN');
  });

  it('refuses a guessable password when a user is created, reset or changes their own, saying why', async () => {
    const users = context.get(UsersService);
    expect(await codeOf(users.create({ username: 'pat', password: 'password1234', roles: ['viewer'] }, admin))).toBe(
      '400 PASSWORD_TOO_WEAK',
    );
    expect(await codeOf(users.update('olga', { password: 'qwertyuiop12' }, admin))).toBe('400 PASSWORD_TOO_WEAK');
    const olga = await context.get(UsersRepository).findByUsername('olga');
    expect(await codeOf(users.changeOwnPassword(olga!, 'olga password1'))).toBe('400 PASSWORD_TOO_WEAK');
    await expect(users.create({ username: 'pat', password: 'password1234', roles: ['viewer'] }, admin)).rejects.toThrow(
      /too easy to guess/,
    );
    // Nothing was stored or changed.
    expect(await context.get(UsersRepository).findByUsername('pat')).toBeNull();
    expect(await codeOf(context.get(LoginService).login('olga', PASSWORD, '10.0.0.8'))).toBe('ok');
  });

  it('refuses a second user of the same name', async () => {
    expect(await codeOf(context.get(UsersService).create({ username: 'olga', roles: ['viewer'] }, admin))).toBe(
      '409 USER_EXISTS',
    );
  });
});

describe('bootstrap', () => {
  it('creates admin from LOOPGATE_ADMIN_PASSWORD once, and registers LOOPGATE_BOOTSTRAP_TOKEN hashed', async () => {
    const { context: fresh } = await createAuthContext({
      adminPassword: 'bootstrap password',
      bootstrapToken: 'demo-token-0123456789abcdef',
    });
    try {
      await fresh.get(AuthBootstrap).onApplicationBootstrap();
      expect(await fresh.get(UsersService).get('admin')).toMatchObject({ roles: ['admin'], hasPassword: true });
      expect(await codeOf(fresh.get(LoginService).login('admin', 'bootstrap password', undefined))).toBe('ok');
      const auth = await fresh
        .get(Authenticator)
        .authenticate({ headers: { authorization: 'Bearer demo-token-0123456789abcdef' } });
      expect(auth?.principal.id).toBe('token:bootstrap');
      await fresh.get(AuthBootstrap).onApplicationBootstrap();
      expect((await fresh.get(ServiceTokensService).list()).length).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('leaves an existing admin alone', async () => {
    const users = context.get(UsersService);
    await users.create({ username: 'ada', password: PASSWORD, roles: ['admin'] }, admin);
    expect(await users.ensureBootstrapAdmin('another password!')).toBe('present');
    expect(await codeOf(users.get('admin'))).toBe('404 USER_NOT_FOUND');
  });
});

describe('electronic signatures', () => {
  it('re-authenticate the signer and bind the meaning and record hash', async () => {
    const signatures = context.get<SignatureService>(SIGNATURE_SERVICE);
    const signature = await signatures.sign({
      username: 'olga',
      password: PASSWORD,
      meaning: 'approved',
      recordHash: HASH,
    });
    expect(signature).toMatchObject({
      signer: 'olga',
      signerName: 'Olga',
      meaning: 'approved',
      recordHash: HASH,
      roles: ['operator'],
    });
    expect(Date.parse(signature.signedAt)).toBeGreaterThan(Date.now() - 5000);
  });

  it('refuse a wrong password with SIGNATURE_INVALID, slowing the next signature after the threshold', async () => {
    const signatures = context.get<SignatureService>(SIGNATURE_SERVICE);
    for (let i = 0; i < 3; i++) {
      expect(
        await codeOf(
          signatures.sign({ username: 'olga', password: 'not the password', meaning: 'approved', recordHash: HASH }),
        ),
      ).toBe('401 SIGNATURE_INVALID');
    }
    expect(
      await codeOf(signatures.sign({ username: 'olga', password: PASSWORD, meaning: 'approved', recordHash: HASH })),
    ).toBe('429 LOGIN_DELAYED');
    expect(audit.actions()).toContain('signature-failed');
  });

  it('refuse to sign something that is not a record hash', async () => {
    const signatures = context.get<SignatureService>(SIGNATURE_SERVICE);
    await expect(
      signatures.sign({ username: 'olga', password: PASSWORD, meaning: 'approved', recordHash: 'abc' }),
    ).rejects.toThrow(/SHA-256/);
  });
});
