import { UserError } from '../../common/errors';
import { ROLE_PERMISSIONS, SERVICE_TOKEN_PERMISSIONS, type Permission } from '../../auth/permissions';
import type { Principal } from '../../auth/principal';
import type { Role } from '@loopgate/contracts';
import type { Actor } from '../engine/writeback-engine';

export function permissionsOfRoles(kind: Principal['kind'], roles: readonly Role[]): Permission[] {
  if (kind === 'service') return [...SERVICE_TOKEN_PERMISSIONS];
  return [...new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role] ?? []))];
}

/** The engine's view of whoever calls: id and permissions. The global guard has authenticated them. */
export function actorOf(principal: Principal | undefined): Actor {
  if (!principal) throw new UserError('UNAUTHENTICATED', 'sign in or present a service token', 401);
  return {
    id: principal.id,
    displayName: principal.displayName,
    permissions: permissionsOfRoles(principal.kind, principal.roles),
  };
}
