import { Inject, Injectable, Optional } from '@nestjs/common';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { ThrottledError } from '../../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import { storedLimiters } from '../limits/stored-limiters';

/** Failed password attempts one client address may make per minute, whatever the user. */
export const LOGIN_ATTEMPTS_PER_IP_PER_MINUTE = 30;
/** The first delay once an account has failed its threshold from one address; it doubles per failure after. */
export const FIRST_DELAY_SECONDS = 1;

/**
 * Login throttling without locking anyone out: failed passwords are counted per account AND client
 * address, and past the threshold that pair waits 1 s, 2 s, 4 s … (capped at the lockout time)
 * before its next attempt. An attacker at one address slows only themselves; the same person at
 * their own console signs in as usual. User names that do not exist are throttled the same way,
 * so the answers do not reveal who exists. One address is also limited to 30 failed attempts a minute.
 *
 * The counts live in the gateway's database (table `auth_login_throttle`), so every gateway process
 * behind a load balancer judges the same failures; without a database (unit tests) in memory.
 */
@Injectable()
export class LoginThrottle {
  private readonly perAddress: RateLimiterAbstract;
  /** Failures in a row per account and address, forgotten after the lockout time without one. */
  private readonly failures: RateLimiterAbstract;
  /** The delay a pair is serving: blocked keys only. */
  private readonly delays: RateLimiterAbstract;
  private readonly threshold: number;
  private readonly maxDelaySeconds: number;

  constructor(
    @Inject(LOOPGATE_CONFIG) config: Pick<LoopgateConfig, 'lockoutThreshold' | 'lockoutMinutes'>,
    @Optional() dataSource?: DataSource,
  ) {
    this.threshold = config.lockoutThreshold;
    this.maxDelaySeconds = config.lockoutMinutes * 60;
    const limiter = storedLimiters(dataSource, 'auth_login_throttle', 'LoginThrottle');
    this.perAddress = limiter({ keyPrefix: 'login-ip', points: LOGIN_ATTEMPTS_PER_IP_PER_MINUTE, duration: 60 });
    // Counts that never run out; a pair's failures are forgotten `lockoutMinutes` after the last one.
    this.failures = limiter({ keyPrefix: 'login-fail', points: 2 ** 31 - 1, duration: this.maxDelaySeconds });
    this.delays = limiter({ keyPrefix: 'login-delay', points: 1, duration: 1 });
  }

  /**
   * Before a password is checked: throws RATE_LIMITED (429) while `address` has used up its failed
   * attempts of the minute (password spraying over many accounts). Right passwords are not counted.
   */
  async attempt(address: string | undefined): Promise<void> {
    if (!address) return;
    const state = await this.perAddress.get(address);
    if (!state || state.consumedPoints < LOGIN_ATTEMPTS_PER_IP_PER_MINUTE || state.msBeforeNext <= 0) return;
    const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    throw new ThrottledError(
      'RATE_LIMITED',
      `too many failed sign-in attempts from this address; try again in ${seconds} s`,
      seconds,
    );
  }

  /** Throws LOGIN_DELAYED (429, Retry-After) while this account and address serve a delay. */
  async check(username: string, address: string | undefined): Promise<void> {
    const state = await this.delays.get(pair(username, address));
    if (!state || state.consumedPoints <= 1 || state.msBeforeNext <= 0) return;
    const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
    throw new ThrottledError(
      'LOGIN_DELAYED',
      `too many failed attempts for this account from this address: try again in ${seconds} s`,
      seconds,
    );
  }

  /** A wrong password (or unknown user): the failures in a row and, past the threshold, the delay started (s). */
  async failed(username: string, address: string | undefined): Promise<{ failures: number; delaySeconds?: number }> {
    const key = pair(username, address);
    if (address) {
      // Counted, never thrown here: `attempt` refuses the next one once the minute's are used up.
      await this.perAddress.consume(address).catch((error: unknown) => {
        if (!(error instanceof RateLimiterRes)) throw error;
      });
    }
    const failures = (await this.failures.consume(key)).consumedPoints;
    if (failures < this.threshold) return { failures };
    const delaySeconds = Math.min(this.maxDelaySeconds, FIRST_DELAY_SECONDS * 2 ** (failures - this.threshold));
    await this.delays.block(key, delaySeconds);
    return { failures, delaySeconds };
  }

  /** The right password: this pair starts over. */
  async succeeded(username: string, address: string | undefined): Promise<void> {
    const key = pair(username, address);
    await this.failures.delete(key);
    await this.delays.delete(key);
  }
}

/** The account and address a count belongs to (no NUL: PostgreSQL text cannot hold one). */
const pair = (username: string, address: string | undefined) =>
  `${encodeURIComponent(username.toLowerCase())}|${address ?? 'local'}`;
