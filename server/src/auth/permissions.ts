import { SetMetadata } from '@nestjs/common';
import type { Permission } from '@loopgate/contracts';

export {
  PERMISSIONS,
  ROLE_PERMISSIONS,
  SERVICE_TOKEN_PERMISSIONS,
  hasPermission,
  permissionsOf,
  type Permission,
} from '@loopgate/contracts';

export const PERMISSION_KEY = 'loopgate:permission';

/** Declares what a route needs, e.g. `@RequirePermission('writeback:revert')`. */
export const RequirePermission = (permission: Permission) => SetMetadata(PERMISSION_KEY, permission);
