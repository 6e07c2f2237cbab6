import type { RuleSetVersion } from '@loopgate/contracts';
import { compileRuleSet, type RuleSetEvaluator } from '@loopgate/rules';
import { GatewayError, type GatewayClient } from '../lib/gateway-client';

export interface LoadedRuleSet {
  version: RuleSetVersion;
  evaluator: RuleSetEvaluator;
  /** Set when the gateway could not be asked for a newer version and this cached one is used. */
  staleBecause?: string;
}

/**
 * One rule node's rule set: fetched from the gateway, compiled once per version, re-checked
 * every `refreshMs` when following the latest version (a pinned version never changes). When
 * the gateway is unreachable the last compiled version keeps evaluating, flagged as stale.
 */
export class RuleSetCache {
  private current?: { version: RuleSetVersion; evaluator: RuleSetEvaluator; checkedAt: number };
  private loading?: Promise<LoadedRuleSet>;

  constructor(
    private readonly client: GatewayClient,
    readonly ruleSetId: string,
    readonly version: number | 'latest',
    private readonly refreshMs: number,
    private readonly compileOptions: Parameters<typeof compileRuleSet>[1] = {},
  ) {}

  /** A newer version was published: the next `get` asks the gateway (a pinned version never changes). */
  invalidate(): void {
    if (this.version === 'latest' && this.current) this.current.checkedAt = Number.NEGATIVE_INFINITY;
  }

  get(now = Date.now()): Promise<LoadedRuleSet> {
    const current = this.current;
    if (current && (this.version !== 'latest' || now - current.checkedAt < this.refreshMs)) {
      return Promise.resolve({ version: current.version, evaluator: current.evaluator });
    }
    this.loading ??= this.load(now).finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(now: number): Promise<LoadedRuleSet> {
    let fetched: RuleSetVersion;
    try {
      fetched = await this.client.getRuleSetVersion(this.ruleSetId, this.version);
    } catch (err) {
      if (this.current && err instanceof GatewayError && err.transient) {
        // Keep evaluating the version we have; ask again on the next message.
        return { version: this.current.version, evaluator: this.current.evaluator, staleBecause: err.message };
      }
      throw err;
    }
    if (fetched.ruleSetId !== this.ruleSetId || fetched.status !== 'published') {
      throw new GatewayError(
        'rejected',
        'RULE_SET_NOT_PUBLISHED',
        `rule set ${this.ruleSetId} v${fetched.version} is ${fetched.status}, not published`,
      );
    }
    if (
      this.current &&
      this.current.version.version === fetched.version &&
      this.current.version.checksum === fetched.checksum
    ) {
      this.current.checkedAt = now;
    } else {
      this.current = {
        version: fetched,
        evaluator: compileRuleSet(fetched.content, this.compileOptions),
        checkedAt: now,
      };
    }
    return { version: this.current.version, evaluator: this.current.evaluator };
  }
}
