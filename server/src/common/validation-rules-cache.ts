import { getMetadataStorage } from 'class-validator';

type RulesLookup = (
  target: (...args: unknown[]) => unknown,
  schema: string,
  always: boolean,
  strictGroups: boolean,
  groups?: string[],
) => unknown[];

const CACHED = Symbol.for('loopgate.validationRulesCache');

/**
 * class-validator finds a class's rules by walking every class it knows, on every object it
 * validates, nested ones included: with the API's hundred-odd DTOs that walk was the largest part
 * of validating a write-back request. A class's rules are fixed once the class is defined (its
 * decorators run then, and a base class is defined before the classes that extend it), so the
 * answer for one class and one set of options is kept. Validation itself is unchanged.
 */
export function cacheValidationRules(): void {
  const storage = getMetadataStorage() as unknown as { getTargetValidationMetadatas: RulesLookup } & {
    [CACHED]?: true;
  };
  if (storage[CACHED]) return;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const cache = new WeakMap<object, Map<string, unknown[]>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (typeof target !== 'function') return lookup(target, schema, always, strictGroups, groups);
    let byOptions = cache.get(target);
    if (!byOptions) cache.set(target, (byOptions = new Map()));
    const key = JSON.stringify([schema, always, strictGroups, groups ?? null]);
    let rules = byOptions.get(key);
    if (!rules) byOptions.set(key, (rules = lookup(target, schema, always, strictGroups, groups)));
    return rules;
  };
  storage[CACHED] = true;
}
