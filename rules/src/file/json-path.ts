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
