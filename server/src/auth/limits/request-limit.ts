import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';
import { ThrottledError } from '../../common/errors';
import { LOOPGATE_CONFIG, type LoopgateConfig } from '../../config/config';
import type { Principal } from '../principal';
import { CoalescedLimiter } from './coalesced-limiter';
import { storedLimiters } from './stored-limiters';

/** What a caller has left of the minute: sent as `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`. */
export interface Allowance {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** Who a request is counted against. */
export type RequestOrigin = { principal: Principal } | { address: string | undefined };

const WINDOW_SECONDS = 60;

/** 429 TOO_MANY_REQUESTS: the caller's allowance of the minute is used up. */
export class RequestLimitExceeded extends ThrottledError {
  constructor(
    message: string,
    retryAfterSeconds: number,
    readonly allowance: Allowance,
  ) {
    super('TOO_MANY_REQUESTS', message, retryAfterSeconds);
    this.name = 'RequestLimitExceeded';
  }
}

/**
 * Every API request counts against its caller's allowance for the minute: a signed-in person or a
 * service token by who it is, a request without valid credentials by its client address (behind a
 * trusted proxy, the address the proxy reports). The counts live in the gateway's database (table
 * `api_request_limit`), so three gateway processes behind a load balancer grant one allowance, not
 * three. A runaway flow or script is slowed alone; the others are answered as usual. A caller's
 * requests that arrive together are counted with one write (`CoalescedLimiter`), with the answers
 * one write each would have given.
 *
 * If the database does not answer, the process counts in its own memory until it does: an outage
 * of the store must not refuse the plant's requests for a reason that is not theirs.
 */
@Injectable()
export class RequestLimit {
  private readonly logger = new Logger('RequestLimit');
  private readonly perPrincipal?: CoalescedLimiter;
  private readonly perAddress?: CoalescedLimiter;
  private readonly refused?: Counter<'caller'>;

  constructor(
    @Inject(LOOPGATE_CONFIG)
    config: Pick<LoopgateConfig, 'apiRequestsPerMinute' | 'apiAnonymousRequestsPerMinute'>,
    @Optional() dataSource?: DataSource,
    @Optional() registry?: Registry,
  ) {
    const limiter = storedLimiters(dataSource, 'api_request_limit', 'RequestLimit');
    const make = (keyPrefix: string, points: number) =>
      points > 0
        ? new CoalescedLimiter(
            limiter({
              keyPrefix,
              points,
              duration: WINDOW_SECONDS,
              // Once a caller is past its allowance this process refuses it from memory until the
              // minute ends, so a flood does not become a flood of database writes.
              inMemoryBlockOnConsumed: points + 1,
              insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS }),
            }),
          )
        : undefined;
    this.perPrincipal = make('api-principal', config.apiRequestsPerMinute);
    this.perAddress = make('api-address', config.apiAnonymousRequestsPerMinute);
    if (registry) {
      this.refused = new Counter({
        name: 'loopgate_api_requests_refused_total',
        help: 'API requests refused with 429 TOO_MANY_REQUESTS, by kind of caller (user, service, address)',
        labelNames: ['caller'],
        registers: [registry],
      });
    }
  }

  /**
   * Counts one request. Returns what the caller has left (undefined when unlimited); throws
   * TOO_MANY_REQUESTS (429, Retry-After) once the minute's allowance is used up.
   */
  async take(origin: RequestOrigin): Promise<Allowance | undefined> {
    const [limiter, key, caller] =
      'principal' in origin
        ? [this.perPrincipal, `${origin.principal.kind}:${origin.principal.id}`, origin.principal.kind]
        : [this.perAddress, origin.address ?? 'local', 'address'];
    if (!limiter) return undefined;
    try {
      const state = await limiter.consume(key);
      return allowance(limiter.points, state);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      this.refused?.inc({ caller });
      const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      // Said once per caller and minute: the first refusal is the news, the rest are its echo.
      if (error.consumedPoints === limiter.points + 1) {
        this.logger.warn(`${key} used its ${limiter.points} API requests of the minute: refused for ${seconds} s`);
      }
      throw new RequestLimitExceeded(
        `more than ${limiter.points} requests a minute from ${caller === 'address' ? 'this address' : 'this caller'}; try again in ${seconds} s`,
        seconds,
        allowance(limiter.points, error),
      );
    }
  }
}

function allowance(limit: number, state: RateLimiterRes): Allowance {
  return {
    limit,
    remaining: Math.max(0, state.remainingPoints),
    resetSeconds: Math.max(0, Math.ceil(state.msBeforeNext / 1000)),
  };
}
