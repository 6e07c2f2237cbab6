import { describe, expect, it } from 'vitest';
import { ROLES } from '@loopgate/contracts';
import { hasPermission, PERMISSIONS, permissionsOf, ROLE_PERMISSIONS, SERVICE_TOKEN_PERMISSIONS } from './permissions';

describe('permissions', () => {
  it('gives a service token only submit and read', () => {
    const service = { kind: 'service' as const, roles: [] };
    expect([...permissionsOf(service)].sort()).toEqual([...SERVICE_TOKEN_PERMISSIONS].sort());
    expect(hasPermission(service, 'writeback:submit')).toBe(true);
    expect(hasPermission(service, 'flows:deploy')).toBe(false);
    expect(hasPermission(service, 'users:admin')).toBe(false);
  });

  it('unions the permissions of several roles', () => {
    const user = { kind: 'user' as const, roles: ['operator' as const, 'qa' as const] };
    expect(hasPermission(user, 'writeback:revert')).toBe(true);
    expect(hasPermission(user, 'writeback:approve-quality')).toBe(true);
    expect(hasPermission(user, 'rules:edit')).toBe(false);
  });

  it('lets only admins administer users and targets', () => {
    for (const role of ROLES) {
      expect(hasPermission({ kind: 'user', roles: [role] }, 'users:admin')).toBe(role === 'admin');
      expect(hasPermission({ kind: 'user', roles: [role] }, 'targets:admin')).toBe(role === 'admin');
    }
  });

  it('grants public to everyone and every permission to admin', () => {
    expect(hasPermission({ kind: 'user', roles: [] }, 'public')).toBe(true);
    expect(ROLE_PERMISSIONS.admin).toEqual(PERMISSIONS.filter((p) => p !== 'public'));
  });

  it('keeps viewers read-only', () => {
    expect(ROLE_PERMISSIONS.viewer.every((p) => p === 'read' || p.endsWith(':read'))).toBe(true);
  });
});
