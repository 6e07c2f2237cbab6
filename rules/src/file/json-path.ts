/** JSON paths as validation issues and diffs use them: `$.rules[2].conditions.all[0].operator`. */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/u;

/** `base.key`, or `base['key']` when the key is not an identifier. */
export function propertyPath(base: string, key: string): string {
  return IDENTIFIER.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key).replace(/^"|"$/gu, "'")}]`;
}

export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** Whether `value` is JSON as JSON.parse produces it: no undefined, functions, NaN or class instances. */
export function firstNonJsonPath(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return indexPath(path, i);
      const bad = firstNonJsonPath(value[i], indexPath(path, i));
      if (bad) return bad;
    }
    return undefined;
  }
  if (isPlainObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      const bad = firstNonJsonPath(v, propertyPath(path, key));
      if (bad) return bad;
    }
    return undefined;
  }
  return path;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Whether `prefix` addresses `path` itself or something inside it (at a segment boundary). */
export function isPathWithin(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  const next = path.charAt(prefix.length);
  return next === '' || next === '.' || next === '[';
}

/**
 * A rule set path made relative to one of its rules; undefined for a path of another rule.
 *
 * @example ruleRelativePath('$.rules[3].conditions.any[0]', 3) // '$.conditions.any[0]'
 */
export function ruleRelativePath(ruleSetPath: string, ruleIndex: number): string | undefined {
  const prefix = indexPath('$.rules', ruleIndex);
  if (!isPathWithin(ruleSetPath, prefix)) return undefined;
  return '$' + ruleSetPath.slice(prefix.length);
}

/** Deep equality of JSON values; object key order is ignored, as JSON objects are unordered. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a))
    return a.length === (b as unknown[]).length && a.every((x, i) => jsonEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
