import type { ParameterValue } from '@loopgate/contracts';

/** Values read from and written to a target compare equal when a read-back shows the write landed. */
export function valuesEqual(a: ParameterValue | null | undefined, b: ParameterValue | null | undefined): boolean {
  if (a === b) return true;
  if (a === null || a === undefined || b === null || b === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = Number(a);
    const y = Number(b);
    // MES APIs may echo a number back as a string or with float noise.
    return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  }
  return String(a) === String(b);
}

/** The change from `prior` to `next`, absolute and in percent of `prior`; undefined when either is not numeric. */
export function stepBetween(
  prior: ParameterValue | null | undefined,
  next: ParameterValue | null | undefined,
): { absolute: number; percent: number } | undefined {
  if (typeof next !== 'number' || prior === null || prior === undefined || prior === '') return undefined;
  const from = typeof prior === 'number' ? prior : Number(prior);
  if (!Number.isFinite(from) || !Number.isFinite(next)) return undefined;
  const absolute = Math.abs(next - from);
  const percent = from === 0 ? (absolute === 0 ? 0 : Infinity) : (absolute / Math.abs(from)) * 100;
  return { absolute, percent };
}

/** Serialises a value for storage so its type survives (`1` and `"1"` stay apart); `undefined` stays absent. */
export function encodeValue(value: ParameterValue | null | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function decodeValue(raw: string | null | undefined): ParameterValue | null | undefined {
  return raw === null || raw === undefined ? undefined : (JSON.parse(raw) as ParameterValue | null);
}
