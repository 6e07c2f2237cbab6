import type { ValidationIssue } from '@loopgate/contracts';

/** Keys that reach an object's prototype when merged or assigned: refused anywhere in input. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper input is refused before validation recurses into it. */
export const MAX_INPUT_DEPTH = 32;

/**
 * The first forbidden key or over-deep nesting in parsed input, as an issue with its path.
 * Iterative, so hostile nesting cannot exhaust the stack.
 *
 * @example
 * findInputProblem(JSON.parse('{"a":{"__proto__":{}}}')) // { code: 'FORBIDDEN_KEY', path: '$.a.__proto__', ... }
 */
export function findInputProblem(value: unknown, root = '$'): ValidationIssue | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  while (pending.length) {
    const current = pending.pop() as { value: unknown; path: string; depth: number };
    if (current.value === null || typeof current.value !== 'object') continue;
    if (current.depth >= MAX_INPUT_DEPTH) {
      return { code: 'TOO_DEEP', path: current.path, message: `input is nested deeper than ${MAX_INPUT_DEPTH} levels` };
    }
    if (Array.isArray(current.value)) {
      current.value.forEach((item, index) =>
        pending.push({ value: item, path: `${current.path}[${index}]`, depth: current.depth + 1 }),
      );
      continue;
    }
    for (const key of Object.keys(current.value)) {
      const path = `${current.path}.${key}`;
      if (FORBIDDEN_KEYS.has(key)) return { code: 'FORBIDDEN_KEY', path, message: `the key ${key} is not allowed` };
      pending.push({ value: (current.value as Record<string, unknown>)[key], path, depth: current.depth + 1 });
    }
  }
  return undefined;
}
