import { describe, expect, it } from 'vitest';
import { auditBadgeState, stateTone } from './StateBadge';

describe('auditBadgeState', () => {
  it('shows an ordinary sign-in as a quiet sign-in, not a security alarm', () => {
    expect(auditBadgeState({ outcome: 'security', action: 'login' })).toBe('sign-in');
    expect(stateTone(auditBadgeState({ outcome: 'security', action: 'login' }))).toBe('muted');
  });

  it('keeps failed sign-ins and lockouts as security records', () => {
    expect(auditBadgeState({ outcome: 'security', action: 'login-failed' })).toBe('security');
    expect(stateTone('security')).toBe('bad');
  });

  it('leaves write-back outcomes as they are', () => {
    expect(auditBadgeState({ outcome: 'applied', action: 'set-parameter' })).toBe('applied');
  });
});
