/** What one operation answers with a 2xx: a JSON body of a schema, text, a file, or nothing. */
export type RouteBody =
  | { kind: 'json'; schema: Record<string, unknown> }
  | { kind: 'text' }
  | { kind: 'file'; media?: string[] }
  | { kind: 'none' }
  /** Server-sent events. */
  | { kind: 'events' };

/** Generated from the controllers' declared return types (`npm run generate:api`). */
export interface ApiSchemas {
  /** By operation id, `<Controller>_<handler>`. */
  routes: Record<string, RouteBody>;
  /** The class-validator DTO of an operation's whole query (`@Query() query: SomeQueryDto`), by operation id. */
  queries: Record<string, string>;
  /** JSON Schemas of the named types, referenced as `#/components/schemas/<name>`. */
  schemas: Record<string, unknown>;
}
