import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  hashToken,
  newOpaqueToken,
  SERVICE_TOKEN_PREFIX,
  SESSION_TOKEN_PREFIX,
  verifyPassword,
} from './secrets';

describe('opaque tokens', () => {
  it('carry their prefix and 256 random bits', () => {
    const token = newOpaqueToken(SESSION_TOKEN_PREFIX);
    expect(token).toMatch(/^lgu_[A-Za-z0-9_-]{43}$/);
    expect(newOpaqueToken(SERVICE_TOKEN_PREFIX)).toMatch(/^lgs_/);
    expect(newOpaqueToken(SESSION_TOKEN_PREFIX)).not.toBe(token);
  });

  it('are stored as a SHA-256 digest, never as themselves', () => {
    const token = newOpaqueToken(SERVICE_TOKEN_PREFIX);
    expect(hashToken(token)).toMatch(/^[a-f0-9]{64}$/);
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).not.toContain(token.slice(4));
  });
});

describe('passwords', () => {
  it('are hashed with Argon2id and verified', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(hash, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery!')).toBe(false);
  });

  it('fail for a user without a hash, after the same work', async () => {
    expect(await verifyPassword(null, 'anything at all')).toBe(false);
  });

  it('report a corrupt stored hash as a bug rather than a wrong password', async () => {
    await expect(verifyPassword('$argon2id$garbage', 'x')).rejects.toThrow(/cannot be checked/);
  });
});
