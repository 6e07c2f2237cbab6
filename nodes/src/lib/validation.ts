import type { ValidationIssue, ValidationResult } from '@loopgate/contracts';

/** Stable issue codes the palette reports; the console and error outputs show them. */
export const ISSUE_CODES = {
  required: 'REQUIRED',
  typeMismatch: 'TYPE_MISMATCH',
  outOfRange: 'OUT_OF_RANGE',
  invalidEnum: 'INVALID_ENUM',
  invalidDate: 'INVALID_DATE',
  tooLong: 'TOO_LONG',
  invalidXml: 'INVALID_XML',
  invalidConfig: 'INVALID_CONFIG',
} as const;

/** Collects issues for one object, each with a JSON path below `$`. */
export class IssueList {
  readonly issues: ValidationIssue[] = [];

  add(code: string, path: string, message: string): void {
    this.issues.push({ code, path, message });
  }

  get empty(): boolean {
    return this.issues.length === 0;
  }

  result<T>(value: T): ValidationResult<T> {
    return this.empty ? { success: true, value } : { success: false, issues: this.issues };
  }
}

/** One line naming every issue, for a status text or an error message. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}

const MAX_TEXT = 256;

/** A non-empty string (numbers are accepted and turned into text); `undefined` when absent and optional. */
export function text(
  issues: IssueList,
  raw: unknown,
  path: string,
  required: boolean,
  max = MAX_TEXT,
): string | undefined {
  if (raw === undefined || raw === null || raw === '') {
    if (required) issues.add(ISSUE_CODES.required, path, 'is required');
    return undefined;
  }
  if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) {
    issues.add(ISSUE_CODES.typeMismatch, path, `must be text, got ${show(raw)}`);
    return undefined;
  }
  const value = String(raw).trim();
  if (value === '') {
    if (required) issues.add(ISSUE_CODES.required, path, 'is required');
    return undefined;
  }
  if (value.length > max) {
    issues.add(ISSUE_CODES.tooLong, path, `must be at most ${max} characters, got ${value.length}`);
    return undefined;
  }
  return value;
}

/** A finite number; numeric text (as B2MML and OPC UA strings carry) is accepted, anything else is not. */
export function num(
  issues: IssueList,
  raw: unknown,
  path: string,
  required: boolean,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  if (raw === undefined || raw === null || raw === '') {
    if (required) issues.add(ISSUE_CODES.required, path, 'is required');
    return undefined;
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : NaN;
  if (typeof raw !== 'number' && typeof raw !== 'string') {
    issues.add(ISSUE_CODES.typeMismatch, path, `must be a number, got ${show(raw)}`);
    return undefined;
  }
  if (!Number.isFinite(value)) {
    issues.add(ISSUE_CODES.typeMismatch, path, `must be a finite number, got ${show(raw)}`);
    return undefined;
  }
  if (range.integer && !Number.isInteger(value)) {
    issues.add(ISSUE_CODES.typeMismatch, path, `must be a whole number, got ${value}`);
    return undefined;
  }
  if ((range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max)) {
    issues.add(
      ISSUE_CODES.outOfRange,
      path,
      `must be between ${range.min ?? '-∞'} and ${range.max ?? '∞'}, got ${value}`,
    );
    return undefined;
  }
  return value;
}

/** One of a fixed list of values. */
export function oneOf<T extends string>(
  issues: IssueList,
  raw: unknown,
  path: string,
  allowed: readonly T[],
  required: boolean,
): T | undefined {
  const value = text(issues, raw, path, required);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    issues.add(ISSUE_CODES.invalidEnum, path, `must be one of ${allowed.join(', ')}, got ${show(value)}`);
    return undefined;
  }
  return value as T;
}

/** A time as ISO 8601 text, epoch milliseconds or a Date; returned as ISO 8601 UTC. */
export function isoTime(issues: IssueList, raw: unknown, path: string, required: boolean): string | undefined {
  if (raw === undefined || raw === null || raw === '') {
    if (required) issues.add(ISSUE_CODES.required, path, 'is required');
    return undefined;
  }
  let date: Date | undefined;
  if (isDate(raw)) date = raw;
  else if (typeof raw === 'number') date = new Date(raw);
  else if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw.trim())) date = new Date(raw.trim());
  if (!date || Number.isNaN(date.getTime())) {
    issues.add(ISSUE_CODES.invalidDate, path, `must be an ISO 8601 time or epoch milliseconds, got ${show(raw)}`);
    return undefined;
  }
  return date.toISOString();
}

/** A plain object of name → text, number or boolean (properties, parameters). */
export function scalarMap(
  issues: IssueList,
  raw: unknown,
  path: string,
): Record<string, string | number | boolean> | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    issues.add(ISSUE_CODES.typeMismatch, path, `must be an object of name → value, got ${show(raw)}`);
    return undefined;
  }
  const out: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      out[name] = value;
    } else {
      issues.add(
        ISSUE_CODES.typeMismatch,
        `${path}.${name}`,
        `must be text, a finite number or a boolean, got ${show(value)}`,
      );
    }
  }
  return out;
}

/**
 * True for `{...}` objects (not arrays, dates, buffers or null), including objects built in a
 * function node's sandbox, whose `Object.prototype` is another realm's.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** True for a Date from any realm (a function node's sandbox has its own `Date`). */
export function isDate(value: unknown): value is Date {
  return Object.prototype.toString.call(value) === '[object Date]';
}
