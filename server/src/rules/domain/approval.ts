import { UserError } from '../../common/errors';

/** What the two-person rule looks at on a version. */
export interface VersionUnderReview {
  version: number;
  status: string;
  author: string;
  environment: string;
}

/** Who signs: only a person can, a service token cannot. */
export interface Signer {
  kind: 'user' | 'service';
  id: string;
}

function decidable(version: VersionUnderReview, signer: Signer): UserError | undefined {
  if (version.status !== 'pending-approval') {
    return new UserError(
      'NOT_PENDING',
      `version ${version.version} is ${version.status}, not waiting for approval`,
      409,
    );
  }
  if (signer.kind !== 'user')
    return new UserError('SIGNATURE_REQUIRED', 'only a person can sign a rule set version', 403);
  return undefined;
}

/**
 * Why `signer` may not approve `version`, or undefined. The two-person rule: the author cannot
 * approve their own version. A version older than the one already live is superseded.
 *
 * @example approvalRefusal({ version: 4, status: 'pending-approval', author: 'erin', environment: 'production' }, { kind: 'user', id: 'erin' })
 * // UserError SAME_AUTHOR (403)
 */
export function approvalRefusal(
  version: VersionUnderReview,
  signer: Signer,
  liveVersion?: number,
): UserError | undefined {
  const refusal = decidable(version, signer);
  if (refusal) return refusal;
  if (signer.id === version.author) {
    return new UserError('SAME_AUTHOR', 'the author cannot approve their own version: a second person must', 403);
  }
  if (liveVersion !== undefined && liveVersion > version.version) {
    return new UserError(
      'SUPERSEDED',
      `version ${liveVersion} is already live in ${version.environment}; submit the change again or roll back`,
      409,
    );
  }
  return undefined;
}

/** Why `signer` may not reject `version`, or undefined; the author may withdraw their own. */
export function rejectionRefusal(version: VersionUnderReview, signer: Signer): UserError | undefined {
  return decidable(version, signer);
}
