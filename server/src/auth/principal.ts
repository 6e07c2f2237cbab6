import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ElectronicSignature, Role } from '@loopgate/contracts';

/** Who is calling: a signed-in person or a Node-RED runtime's service token. */
export interface Principal {
  kind: 'user' | 'service';
  /** Username, or `token:<name>` for a service token. */
  id: string;
  displayName: string;
  roles: Role[];
}

/** Injects the authenticated principal that the global auth guard put on the request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal | undefined => {
  return ctx.switchToHttp().getRequest<{ principal?: Principal }>().principal;
});

/**
 * Re-authenticates a signer and produces an electronic signature bound to a record's hash
 * (21 CFR Part 11: credentials entered again at signing, meaning recorded, signature not movable).
 * Throws a UserError `SIGNATURE_INVALID` (401) on a wrong password.
 */
export interface SignatureService {
  sign(input: {
    username: string;
    password: string;
    meaning: ElectronicSignature['meaning'];
    recordHash: string;
  }): Promise<ElectronicSignature & { roles: Role[] }>;
}
export const SIGNATURE_SERVICE = Symbol('SIGNATURE_SERVICE');

/** Who stands behind a service token: the person who created it. */
export interface TokenOwners {
  /** The creator of the token a principal id (`token:<name>`) names; undefined for anything else. */
  ownerOf(principalId: string): Promise<string | undefined>;
}

export const TOKEN_OWNERS = Symbol('TOKEN_OWNERS');

/**
 * Whether the credential a long-lived request (a server-sent event stream) came with still holds:
 * false once its service token is revoked, its session ended or its user disabled.
 */
export interface CredentialCheck {
  stillValid(request: { headers: Record<string, string | string[] | undefined> }): Promise<boolean>;
}

export const CREDENTIAL_CHECK = Symbol('CREDENTIAL_CHECK');
