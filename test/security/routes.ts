/** Every route the running gateway serves, joined with what its Nest handler declares. */
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { PERMISSION_KEY, type Permission } from '../../server/src/auth/permissions';
import { routeShape, type RouteShape } from '../../server/src/auth/guards/route-shape';
import type { TestGateway } from './gateway';

export interface RouteInfo {
  method: string;
  /** Express path, e.g. `/api/v1/users/:username`. */
  path: string;
  controller: string;
  handler: string;
  permission?: Permission;
  shape: RouteShape;
}

/** Routes that Nest does not serve through a controller: Swagger's UI and document. */
export const NON_CONTROLLER_ROUTES = /^\/api\/docs(\/|$|-json|-yaml)/;

interface ExpressLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Method and path of every route registered on the Express router, after init. */
export function expressRoutes(gw: TestGateway): { method: string; path: string }[] {
  const express = gw.gateway.app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } };
  return express.router.stack.flatMap((layer) => {
    if (!layer.route) return [];
    const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
    const methods = Object.keys(layer.route.methods).filter((m) => layer.route?.methods[m] && m !== '_all');
    return paths.flatMap((path) => methods.map((method) => ({ method: method.toUpperCase(), path })));
  });
}

const join = (...parts: string[]) =>
  `/${parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/')}`;

/** Every controller handler with its permission metadata and candidate full paths. */
export function controllerHandlers(gw: TestGateway): (Omit<RouteInfo, 'path'> & { paths: string[] })[] {
  const app = gw.gateway.app;
  const controllers = [...app.get(ModulesContainer).values()].flatMap((module) => [...module.controllers.values()]);
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const prefix = 'api/v1';
  return controllers.flatMap((wrapper) => {
    const instance = wrapper.instance as object | undefined;
    const type = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!instance || !type) return [];
    const controllerPaths = [Reflect.getMetadata(PATH_METADATA, type) ?? ''].flat() as string[];
    return scanner.getAllMethodNames(Object.getPrototypeOf(instance)).flatMap((name) => {
      const handler = (instance as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
      const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (methodPath === undefined) return [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const permission = reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, [handler, type]);
      const paths = controllerPaths.flatMap((c) =>
        [methodPath].flat().flatMap((m) => [join(prefix, c, m), join(c, m)]),
      );
      return [{ method, paths, controller: type.name, handler: name, permission, shape: routeShape(type, name) }];
    });
  });
}

/** Joins both views: every Express route must belong to exactly one handler (Swagger excepted). */
export function allRoutes(gw: TestGateway): { routes: RouteInfo[]; unmatched: string[] } {
  const handlers = controllerHandlers(gw);
  const routes: RouteInfo[] = [];
  const unmatched: string[] = [];
  for (const route of expressRoutes(gw)) {
    if (NON_CONTROLLER_ROUTES.test(route.path)) continue;
    const matches = handlers.filter(
      (h) => (h.method === route.method || h.method === 'ALL') && h.paths.includes(route.path),
    );
    if (matches.length !== 1) {
      unmatched.push(`${route.method} ${route.path} (${matches.length} handlers)`);
      continue;
    }
    const { paths: _paths, ...info } = matches[0];
    routes.push({ ...info, method: route.method, path: route.path });
  }
  return { routes, unmatched };
}

/** A concrete URL for a route path: each `:param` replaced by `value`. */
export function concretePath(path: string, value: (name: string) => string = () => 'x1'): string {
  return path
    .replace(/\{([^}]*)\}/g, '$1')
    .replace(/[:*]([A-Za-z0-9_]+)/g, (_m, name: string) => encodeURIComponent(value(name)));
}
