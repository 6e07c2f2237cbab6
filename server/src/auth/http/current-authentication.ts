import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { UserError } from '../../common/errors';
import type { Authentication } from '../authenticator';

/** The authentication the global guard established; for routes that need more than the principal. */
export const CurrentAuthentication = createParamDecorator((_data: unknown, ctx: ExecutionContext): Authentication => {
  const authentication = ctx.switchToHttp().getRequest<{ authentication?: Authentication }>().authentication;
  if (!authentication) throw new UserError('UNAUTHENTICATED', 'sign in first', 401);
  return authentication;
});
