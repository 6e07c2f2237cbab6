import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { UserError } from '../../common/errors';

/** The shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 12;
/** zxcvbn's score (0–4) a password needs: 3 is "safely unguessable" against an offline attack with a slow hash. */
export const MIN_PASSWORD_SCORE = 3;

let checker: ZxcvbnFactory | undefined;
/** The common-password and word lists load on first use (a few MB), not when the gateway starts. */
function zxcvbn(): ZxcvbnFactory {
  checker ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
  return checker;
}

/**
 * Why `password` is too weak, or undefined: shorter than 12 characters, or guessable (zxcvbn
 * score below 3 against the common-password lists, keyboard patterns, dates and the user's own
 * name), e.g. `password1234`.
 */
export function passwordWeakness(password: string, userInputs: string[] = []): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `it has fewer than ${MIN_PASSWORD_LENGTH} characters`;
  const result = zxcvbn().check(password, userInputs);
  if (result.score >= MIN_PASSWORD_SCORE) return undefined;
  // Without a translation package the warning is a key such as `similarToCommon`: said in words.
  const warning = result.feedback.warning?.replace(/([A-Z])/g, ' $1').toLowerCase();
  const why = warning ? ` (${warning})` : '';
  return `it is too easy to guess: score ${result.score} of 4, ${MIN_PASSWORD_SCORE} needed${why}; use a longer passphrase of unrelated words`;
}

/** Throws `PASSWORD_TOO_WEAK` (400) with the reason when `password` fails the policy. */
export function assertStrongPassword(password: string, userInputs: string[] = []): void {
  const weakness = passwordWeakness(password, userInputs);
  if (weakness) throw new UserError('PASSWORD_TOO_WEAK', `the password is refused: ${weakness}`, 400);
}
