import { createHash, randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';

/** Session tokens start with this; anything else presented as a bearer token is looked up as a service token. */
export const SESSION_TOKEN_PREFIX = 'lgu_';
export const SERVICE_TOKEN_PREFIX = 'lgs_';

/** A new opaque token: prefix + 256 random bits, base64url. */
export function newOpaqueToken(prefix: typeof SESSION_TOKEN_PREFIX | typeof SERVICE_TOKEN_PREFIX): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Tokens carry 256 bits of entropy, so a fast hash is enough to store them; passwords get Argon2id. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against an Argon2id hash. Without a hash (unknown user, SSO-only user) it
 * still spends the same time on a dummy hash, so response time does not reveal which users exist.
 */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  if (!hash) {
    dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
    await argon2.verify(await dummyHash, password);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch (error) {
    // A malformed stored hash is a bug in our data, not a wrong password: report it.
    throw new Error(`stored password hash cannot be checked: ${(error as Error).message}`, { cause: error });
  }
}
