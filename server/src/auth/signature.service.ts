import { Injectable } from '@nestjs/common';
import type { ElectronicSignature, Role } from '@loopgate/contracts';
import { UserError } from '../common/errors';
import { PasswordCheck } from './identity/password-check';
import type { SignatureService } from './principal';

const RECORD_HASH = /^[a-f0-9]{64}$/;
const MEANINGS: readonly ElectronicSignature['meaning'][] = ['approved', 'rejected', 'reviewed', 'authored'];

/**
 * Electronic signatures (21 CFR Part 11 style): the signer enters their password again, the
 * meaning is recorded, and the signature carries the SHA-256 of the record it signs. A wrong
 * password counts towards the account's lockout like a failed login.
 *
 * @example
 * const signature = await signatures.sign({ username: principal.id, password, meaning: 'approved', recordHash });
 */
@Injectable()
export class PasswordSignatureService implements SignatureService {
  constructor(private readonly passwords: PasswordCheck) {}

  async sign(input: {
    username: string;
    password: string;
    meaning: ElectronicSignature['meaning'];
    recordHash: string;
  }): Promise<ElectronicSignature & { roles: Role[] }> {
    if (!RECORD_HASH.test(input.recordHash))
      throw new Error(`a signature needs the record's SHA-256 hex digest, got ${JSON.stringify(input.recordHash)}`);
    if (!MEANINGS.includes(input.meaning))
      throw new UserError('VALIDATION_FAILED', `meaning must be one of ${MEANINGS.join(', ')}`, 400);
    let user;
    try {
      user = await this.passwords.verify(input.username, input.password, 'signature');
    } catch (error) {
      if (error instanceof UserError && error.code === 'INVALID_CREDENTIALS') {
        throw new UserError(
          'SIGNATURE_INVALID',
          'the password does not match the signer: the signature was not given',
          401,
        );
      }
      throw error;
    }
    return {
      signer: user.username,
      signerName: user.displayName,
      meaning: input.meaning,
      signedAt: new Date().toISOString(),
      recordHash: input.recordHash,
      roles: user.roles,
    };
  }
}
