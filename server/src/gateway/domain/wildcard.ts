const cache = new Map<string, RegExp>();

/**
 * Matches a configured name pattern where `*` stands for any run of characters.
 *
 * @example matchesPattern('Interlock*', 'InterlockBypass') // true
 */
export function matchesPattern(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (!pattern.includes('*')) return pattern === value;
  let regex = cache.get(pattern);
  if (!regex) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${source}$`, 's');
    cache.set(pattern, regex);
  }
  return regex.test(value);
}
