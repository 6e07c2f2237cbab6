import { Logger, type INestApplication } from '@nestjs/common';
import type { Role } from '@loopgate/contracts';
import { UserError } from '../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../config/config';
import { Authenticator } from './authenticator';
import { PasswordCheck } from './identity/password-check';
import type { UserEntity } from './identity/user.entity';
import { UsersService } from './identity/users.service';
import { SecurityAudit } from './security-audit';

/** A Node-RED editor user: `*` (edit and deploy) or `read`. */
export interface EditorUser {
  username: string;
  permissions: '*' | 'read';
}

/** Roles that may edit and deploy flows in Node-RED's editor; everyone else sees them read-only. */
const EDITING_ROLES: readonly Role[] = ['engineer', 'admin'];

export function editorUser(user: Pick<UserEntity, 'username' | 'roles'>): EditorUser {
  return {
    username: user.username,
    permissions: user.roles.some((role) => EDITING_ROLES.includes(role)) ? '*' : 'read',
  };
}

interface NodeRedAuditMessage {
  event?: string;
  type?: string;
  user?: { username?: string };
  ip?: string;
}

/**
 * Node-RED settings that make its editor use Loopgate's users: the same passwords (with the
 * same lockout), Loopgate session tokens as bearer tokens (the CLI deploys with them), and
 * flow deployments written to the audit trail.
 *
 * @example
 * embedNodeRed(app, config, nodeRedSecuritySettings(app));
 */
export function nodeRedSecuritySettings(app: INestApplication): Record<string, unknown> {
  const users = app.get(UsersService);
  const passwords = app.get(PasswordCheck);
  const authenticator = app.get(Authenticator);
  const audit = app.get(SecurityAudit);
  const config = app.get<LoopgateConfig>(LOOPGATE_CONFIG);
  const logger = new Logger('NodeRedAuth');

  const unlessUserError = (error: unknown): null => {
    if (!(error instanceof UserError))
      logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return null;
  };

  return {
    adminAuth: {
      type: 'credentials',
      sessionExpiryTime: config.sessionTtlMinutes * 60,
      users: async (username: string) => {
        const user = await users.findActive(username);
        return user ? editorUser(user) : null;
      },
      authenticate: (username: string, password: string) =>
        passwords.verify(username, password, 'node-red').then(editorUser, unlessUserError),
      tokens: (token: string) =>
        authenticator
          .fromToken(token, 'bearer')
          .then((authentication) => (authentication.user ? editorUser(authentication.user) : null), unlessUserError),
    },
    logging: {
      loopgateAudit: {
        level: 'off',
        audit: true,
        handler: () => (message: NodeRedAuditMessage) => {
          if (message.event !== 'flows.set') return;
          const actor = message.user?.username ?? 'node-red';
          audit
            .record({
              action: 'deploy',
              actor,
              message: `Node-RED flows deploy (${message.type ?? 'full'}) requested${message.ip ? ` from ${message.ip}` : ''}`,
            })
            .catch((error: unknown) => logger.error(`auditing a Node-RED deploy failed: ${(error as Error).message}`));
        },
      },
    },
  };
}
