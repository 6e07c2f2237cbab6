import type { Role } from './api';

/** Everything an API route can require. Every route declares exactly one. */
export const PERMISSIONS = [
  'public',
  'read',
  'writeback:submit',
  'writeback:approve',
  'writeback:approve-quality',
  'writeback:revert',
  'target:control',
  'rules:read',
  'rules:edit',
  'rules:approve',
  'flows:deploy',
  'audit:read',
  'users:admin',
  'targets:admin',
  'autonomy:promote',
  'autonomy:feedback',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Which roles grant which permissions; admin has all. The gateway enforces it, the console mirrors it. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  viewer: ['read', 'rules:read', 'audit:read'],
  operator: [
    'read',
    'rules:read',
    'audit:read',
    'writeback:approve',
    'writeback:revert',
    'target:control',
    'autonomy:feedback',
  ],
  qa: [
    'read',
    'rules:read',
    'audit:read',
    'writeback:approve',
    'writeback:approve-quality',
    'autonomy:feedback',
    'autonomy:promote',
  ],
  engineer: ['read', 'rules:read', 'audit:read', 'rules:edit', 'rules:approve', 'flows:deploy', 'autonomy:feedback'],
  admin: PERMISSIONS.filter((p) => p !== 'public'),
};

/** What a Node-RED runtime's service token may do: least privilege. */
export const SERVICE_TOKEN_PERMISSIONS: readonly Permission[] = ['writeback:submit', 'read', 'rules:read'];

/** Everything a principal may do: the union of its roles' permissions, or the service-token set. */
export function permissionsOf(principal: { kind: 'user' | 'service'; roles: readonly Role[] }): Set<Permission> {
  if (principal.kind === 'service') return new Set(SERVICE_TOKEN_PERMISSIONS);
  return new Set(principal.roles.flatMap((role) => ROLE_PERMISSIONS[role] ?? []));
}

/**
 * True when the principal holds `permission`; `public` is held by everyone.
 *
 * @example hasPermission({ kind: 'user', roles: ['operator'] }, 'writeback:revert') // true
 */
export function hasPermission(
  principal: { kind: 'user' | 'service'; roles: readonly Role[] },
  permission: Permission,
): boolean {
  return permission === 'public' || permissionsOf(principal).has(permission);
}
