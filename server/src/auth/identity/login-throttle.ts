import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { UserError } from '../../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';

/** Password attempts one client address may make per minute, whatever the user. */
export const LOGIN_ATTEMPTS_PER_IP_PER_MINUTE = 30;

/**
 * Login rate limiting (per client address) and the lockout of user names that do not exist,
 * which mirrors the stored lockout of real users so a lockout does not reveal who exists.
 */
@Injectable()
export class LoginThrottle {
  private readonly perAddress = new RateLimiterMemory({
    keyPrefix: 'login-ip',
    points: LOGIN_ATTEMPTS_PER_IP_PER_MINUTE,
    duration: 60,
  });
  private readonly unknownUsers: RateLimiterMemory;

  constructor(@Inject(LOOPGATE_CONFIG) config: Pick<LoopgateConfig, 'lockoutThreshold' | 'lockoutMinutes'>) {
    const seconds = config.lockoutMinutes * 60;
    this.unknownUsers = new RateLimiterMemory({
      keyPrefix: 'login-unknown',
      points: config.lockoutThreshold,
      duration: seconds,
      blockDuration: seconds,
    });
  }

  /** Counts one attempt from `address`; throws RATE_LIMITED (429) past the limit. */
  async attempt(address: string | undefined): Promise<void> {
    if (!address) return;
    try {
      await this.perAddress.consume(address);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const seconds = Math.ceil(error.msBeforeNext / 1000);
      throw new UserError(
        'RATE_LIMITED',
        `too many sign-in attempts from this address; try again in ${seconds} s`,
        429,
      );
    }
  }

  /** True while a user name that does not exist is "locked" after too many failures. */
  async unknownUserLocked(username: string): Promise<boolean> {
    const state = await this.unknownUsers.get(username);
    return state !== null && state.consumedPoints >= this.unknownUsers.points;
  }

  async unknownUserFailed(username: string): Promise<void> {
    try {
      await this.unknownUsers.consume(username);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
    }
  }
}
