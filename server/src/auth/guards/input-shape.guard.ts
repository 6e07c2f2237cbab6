import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ValidationIssue } from '@loopgate/contracts';
import { UserError } from '../../common/errors';
import { routeShape } from './route-shape';

interface ShapedRequest {
  body?: unknown;
  query?: Record<string, unknown>;
}

function hasContent(body: unknown): boolean {
  if (body === undefined || body === null) return false;
  if (Array.isArray(body)) return true;
  if (typeof body === 'object') return Object.keys(body).length > 0;
  return true;
}

/**
 * Unknown input is refused even where a route declares no DTO for it: a body sent to a route
 * that takes none, and query fields a route does not read. Declared DTOs are checked by the
 * global ValidationPipe (whitelist, forbidNonWhitelisted).
 */
@Injectable()
export class InputShapeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const shape = routeShape(context.getClass(), context.getHandler().name);
    if (shape.rawRequest) return true;
    const request = context.switchToHttp().getRequest<ShapedRequest>();
    if (!shape.body && hasContent(request.body))
      throw new UserError('UNEXPECTED_BODY', 'this route takes no request body', 400);
    if (shape.queryDto === undefined) {
      const allowed = new Set(shape.queryKeys);
      const unknown = Object.keys(request.query ?? {}).filter((key) => !allowed.has(key));
      if (unknown.length) {
        const issues: ValidationIssue[] = unknown.map((key) => ({
          code: 'UNKNOWN_FIELD',
          path: `$query.${key}`,
          message: `query field ${key} is not known`,
        }));
        throw new UserError(
          'VALIDATION_FAILED',
          `request is invalid: ${issues.map((i) => `${i.path} ${i.code}`).join(', ')}`,
          400,
          issues,
        );
      }
    }
    return true;
  }
}
