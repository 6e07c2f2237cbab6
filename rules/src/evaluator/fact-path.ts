import { JSONPath } from 'jsonpath-plus';

/** json-rules-engine's `pathResolver` option: picks a value out of an object fact. */
export type PathResolver = (value: object, path: string) => unknown;

/** json-rules-engine's default resolver, the same jsonpath-plus call. */
export function jsonPathResolver(value: object, path: string): unknown {
  return JSONPath({ path, json: value as never, wrap: false });
}

const SLICE = /^(-?\d*):(-?\d*):?(\d*)$/u;

/** A segment jsonpath-plus follows only as an own property: none of its selectors, filters or scripts. */
function isPlainSegment(segment: unknown): segment is string {
  return (
    typeof segment === 'string' &&
    segment !== '' &&
    segment !== '*' &&
    segment !== '..' &&
    segment !== '^' &&
    segment !== '~' &&
    segment !== '$' &&
    !SLICE.test(segment) &&
    !segment.startsWith('?(') &&
    segment[0] !== '(' &&
    segment[0] !== '@' &&
    segment[0] !== '`' &&
    !segment.includes(',')
  );
}

/**
 * The property names of a path jsonpath-plus resolves by plain own-property steps (`$.a.b`,
 * `$.a[0]`, `$['a b']`), or undefined for anything else (wildcards, filters, slices, unions).
 */
export function plainPathSegments(path: string): string[] | undefined {
  let segments: unknown[];
  try {
    segments = JSONPath.toPathArray(path);
  } catch {
    // jsonpath-plus throws the same when the condition is evaluated; leave the path to it.
    return undefined;
  }
  if (segments[0] === '$' && segments.length > 1) segments.shift();
  if (segments.length === 0 || !segments.every(isPlainSegment)) return undefined;
  return segments as string[];
}

/**
 * How a condition reads `path` from its fact value, exactly as the almanac does: only non-null
 * objects are resolved, anything else is compared as it is. Plain paths become direct
 * property steps with jsonpath-plus's rules (`val && Object.hasOwn(val, key)`); other paths,
 * and a custom resolver, are called as the engine calls them.
 */
export function compileFactPath(path: string, resolver?: PathResolver): (factValue: unknown) => unknown {
  if (resolver) {
    return (v) => (v != null && typeof v === 'object' ? resolver(v, path) : v);
  }
  const segments = plainPathSegments(path);
  if (!segments) {
    return (v) => (v != null && typeof v === 'object' ? jsonPathResolver(v, path) : v);
  }
  if (segments.length === 1) {
    const [key] = segments;
    return (v) =>
      v != null && typeof v === 'object'
        ? Object.hasOwn(v, key)
          ? (v as Record<string, unknown>)[key]
          : undefined
        : v;
  }
  return (v) => {
    if (v == null || typeof v !== 'object') return v;
    let current: unknown = v;
    for (const key of segments) {
      if (!current || !Object.hasOwn(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
    return current;
  };
}
