import { parse, serialize } from 'cookie';

/** The session cookie: HttpOnly and SameSite=Strict, so scripts cannot read it and other sites cannot send it. */
export const SESSION_COOKIE = 'loopgate_session';

export function sessionCookie(token: string, expiresAt: string, secure: boolean): string {
  return serialize(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    expires: new Date(expiresAt),
    secure,
  });
}

export function clearedSessionCookie(secure: boolean): string {
  return serialize(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/', expires: new Date(0), secure });
}

/** A cookie's value from a `Cookie` header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  return parse(header)[name];
}
