import { RULE_SET_ID_PATTERN } from '@loopgate/rules';
import { UserError } from '../../common/errors';

/** A rule set id from the path: also a file name, so the same pattern as in the file. */
export function ruleSetIdParam(id: string): string {
  if (!RULE_SET_ID_PATTERN.test(id)) {
    throw new UserError('INVALID_ID', 'a rule set id is letters, digits, ".", "_" and "-", at most 128', 400, [
      { code: 'INVALID_ID', path: '$params.id', message: 'not a rule set id' },
    ]);
  }
  return id;
}

/** A version number from the path, or `latest` where the route allows it. */
export function versionParam(version: string, allowLatest: true): number | 'latest';
export function versionParam(version: string, allowLatest?: false): number;
export function versionParam(version: string, allowLatest = false): number | 'latest' {
  if (allowLatest && version === 'latest') return 'latest';
  const n = /^[1-9]\d{0,8}$/.test(version) ? Number(version) : NaN;
  if (Number.isNaN(n)) {
    throw new UserError(
      'INVALID_VERSION',
      `a version is a whole number from 1${allowLatest ? ', or latest' : ''}`,
      400,
      [{ code: 'INVALID_VERSION', path: '$params.version', message: `not a version: ${JSON.stringify(version)}` }],
    );
  }
  return n;
}
