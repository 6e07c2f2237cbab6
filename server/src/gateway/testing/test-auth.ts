import { Global, Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { ROLES, type Role } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import { PERMISSION_KEY, type Permission } from '../../auth/permissions';
import {
  CREDENTIAL_CHECK,
  SIGNATURE_SERVICE,
  TOKEN_OWNERS,
  type Principal,
  type SignatureService,
  type TokenOwners,
} from '../../auth/principal';
import { permissionsOfRoles } from '../services/actor';

/** The password every test user signs with. */
export const TEST_PASSWORD = 'correct horse battery staple';

/**
 * `Authorization: Test <id>:<role>[,<role>]` or `Test token:<name>` makes the caller that principal.
 * Enforces `@RequirePermission` like the real guard, so API tests see 401 and 403.
 */
@Injectable()
export class TestPrincipalGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!permission) throw new UserError('PERMISSION_UNDECLARED', 'route declares no permission', 403);
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const principal = parsePrincipal(request.headers.authorization);
    if (principal) request.principal = principal;
    if (permission === 'public') return true;
    if (!principal) throw new UserError('UNAUTHENTICATED', 'sign in first', 401);
    if (!permissionsOfRoles(principal.kind, principal.roles).includes(permission))
      throw new UserError('FORBIDDEN', `needs ${permission}`, 403);
    return true;
  }
}

function parsePrincipal(header: string | undefined): Principal | undefined {
  const match = /^Test (.+)$/.exec(header ?? '');
  if (!match) return undefined;
  if (match[1].startsWith('token:')) return { kind: 'service', id: match[1], displayName: match[1], roles: [] };
  const [id, roles = ''] = match[1].split(':');
  return {
    kind: 'user',
    id,
    displayName: id.toUpperCase(),
    roles: roles.split(',').filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
  };
}

/** Signs when the password is TEST_PASSWORD; the roles come from the `<id>` naming convention of the tests. */
export class FakeSignatureService implements SignatureService {
  readonly signed: { username: string; recordHash: string }[] = [];

  constructor(private readonly rolesOf: (username: string) => Role[]) {}

  async sign(input: Parameters<SignatureService['sign']>[0]) {
    if (input.password !== TEST_PASSWORD) throw new UserError('SIGNATURE_INVALID', 'the password is not correct', 401);
    this.signed.push({ username: input.username, recordHash: input.recordHash });
    return {
      signer: input.username,
      signerName: input.username.toUpperCase(),
      meaning: input.meaning,
      signedAt: new Date().toISOString(),
      recordHash: input.recordHash,
      roles: this.rolesOf(input.username),
    };
  }
}

/** Service tokens of the test app and who created them: `token:<name>` was created by `<name>`'s owner. */
export const TEST_TOKEN_OWNERS: TokenOwners & { owners: Map<string, string> } = {
  owners: new Map([['token:ada-line', 'ada']]),
  ownerOf: async (principalId) => TEST_TOKEN_OWNERS.owners.get(principalId),
};

@Global()
@Module({})
export class TestAuthModule {
  static with(signatures: SignatureService) {
    return {
      module: TestAuthModule,
      providers: [
        { provide: SIGNATURE_SERVICE, useValue: signatures },
        { provide: TOKEN_OWNERS, useValue: TEST_TOKEN_OWNERS },
        // The test principal guard has no credentials to revoke.
        { provide: CREDENTIAL_CHECK, useValue: { stillValid: async () => true } },
        { provide: APP_GUARD, useClass: TestPrincipalGuard },
      ],
      exports: [SIGNATURE_SERVICE, TOKEN_OWNERS, CREDENTIAL_CHECK],
    };
  }
}
