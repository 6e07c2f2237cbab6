import { describe, expect, it } from 'vitest';
import { assertStrongPassword, passwordWeakness } from './password-policy';

describe('password policy', () => {
  it.each(['password1234', 'qwertyuiop12', 'changeme12345', 'P@ssw0rd2026'])('refuses the guessable %s', (password) => {
    expect(passwordWeakness(password)).toMatch(/too easy to guess: score [0-2] of 4/);
    expect(() => assertStrongPassword(password)).toThrow(
      expect.objectContaining({ code: 'PASSWORD_TOO_WEAK', status: 400 }),
    );
  });

  it('refuses fewer than 12 characters, however random', () => {
    expect(passwordWeakness('x7#Kq!9vZ2')).toBe('it has fewer than 12 characters');
  });

  it('refuses a password built on the user’s own name', () => {
    expect(passwordWeakness('olivia.operator1', ['olivia.operator'])).toMatch(/too easy to guess/);
  });

  it.each(['correct horse battery staple', 'engineer password 1234', 'tundra-ochre-lantern-41'])(
    'accepts %s',
    (password) => {
      expect(passwordWeakness(password)).toBeUndefined();
    },
  );
});
