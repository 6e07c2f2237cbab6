import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';

/** What a route handler takes from the request, read from Nest's parameter decorators. */
export interface RouteShape {
  /** `@Body()` is declared. */
  body: boolean;
  /** `@Query()` takes the whole query, with this class as its DTO (`Object` when none). */
  queryDto?: unknown;
  /** `@Query('name')` keys. */
  queryKeys: string[];
  /** `@Req()`: the handler reads the raw request itself. */
  rawRequest: boolean;
}

interface RouteArgument {
  index: number;
  data?: unknown;
}

/**
 * Reads a handler's parameter decorators.
 *
 * @example
 * routeShape(UsersController, 'create') // { body: true, queryKeys: [], rawRequest: false }
 */
export function routeShape(controller: object, method: string | symbol): RouteShape {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, RouteArgument>;
  const paramTypes = (Reflect.getMetadata(
    'design:paramtypes',
    (controller as { prototype: object }).prototype,
    method,
  ) ?? []) as unknown[];
  const shape: RouteShape = { body: false, queryKeys: [], rawRequest: false };
  for (const [key, argument] of Object.entries(args)) {
    const type = Number(key.split(':')[0]);
    if (type === RouteParamtypes.BODY) shape.body = true;
    if (type === RouteParamtypes.REQUEST) shape.rawRequest = true;
    if (type === RouteParamtypes.QUERY) {
      if (typeof argument.data === 'string') shape.queryKeys.push(argument.data);
      else shape.queryDto = paramTypes[argument.index] ?? Object;
    }
  }
  return shape;
}
