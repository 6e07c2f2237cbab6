/** What one operation answers with a 2xx: a JSON body of a schema, text, a file, or nothing. */
export type RouteBody =
  | { kind: 'json'; schema: Record<string, unknown> }
  | { kind: 'text' }
  | { kind: 'file' }
  | { kind: 'none' }
  /** Server-sent events. */
  | { kind: 'events' };

/** Generated from the controllers' declared return types (`npm run generate:api`). */
export interface ApiSchemas {
  /** By operation id, `<Controller>_<handler>`. */
  routes: Record<string, RouteBody>;
  /** JSON Schemas of the named types, referenced as `#/components/schemas/<name>`. */
  schemas: Record<string, unknown>;
}
