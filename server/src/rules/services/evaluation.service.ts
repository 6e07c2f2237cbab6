import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EvaluateBatchResponse, EvaluationResult, RuleSetFile } from '@loopgate/contracts';
import {
  LOOPGATE_RULE_OPTIONS,
  UndefinedFactError,
  DerivedFactError,
  compileRuleSet,
  type Facts,
  type RuleSetEvaluator,
} from '@loopgate/rules';
import { OperationalError, UserError } from '../../common/errors';
import type { RuleSetVersionEntity } from '../persistence/entities';
import { RuleSetVersionsRepository } from '../persistence/rule-set-versions.repository';

/** Compiled versions kept in memory; versions are immutable, so an entry never goes stale. */
const CACHE_SIZE = 64;

/** A rule set version's evaluator, and which version it is. */
export interface LoadedVersion {
  ruleSetId: string;
  version: number;
  evaluator: RuleSetEvaluator;
}

/**
 * The facts or the rules made the evaluation fail (a fact the rules read is missing, an operator
 * met a value it cannot handle): the caller's to fix, so a 400 with the reason.
 */
export function evaluationError(error: unknown): UserError {
  if (error instanceof UndefinedFactError) {
    return new UserError('UNDEFINED_FACT', error.message, 400, [
      { code: 'UNDEFINED_FACT', path: `$.facts.${error.factId}`, message: `the rules read fact "${error.factId}"` },
    ]);
  }
  if (error instanceof DerivedFactError) {
    return new UserError(error.code, error.message, 400, [
      { code: error.code, path: `$.derivedFacts.${error.fact}`, message: error.message },
    ]);
  }
  return new UserError(
    'EVALUATION_FAILED',
    `the rule set could not be evaluated on these facts: ${(error as Error).message}`,
    400,
  );
}

/** Evaluates published versions with the compiled evaluator, Loopgate's way (event params may read facts). */
@Injectable()
export class RuleEvaluation {
  private readonly cache = new Map<string, LoadedVersion>();

  constructor(private readonly versions: RuleSetVersionsRepository) {}

  /** A version's evaluator by number, or `latest` (the newest published production version). */
  async load(ruleSetId: string, version: number | 'latest'): Promise<LoadedVersion> {
    // A numbered version is immutable: a cached one needs no read of the store.
    const known = version === 'latest' ? undefined : this.cached(`${ruleSetId}@${version}`);
    if (known) return known;
    const entity =
      version === 'latest'
        ? await this.versions.live(ruleSetId, 'production')
        : await this.versions.find(ruleSetId, version);
    if (!entity) {
      throw new UserError(
        'NOT_FOUND',
        `${version === 'latest' ? 'a published version of' : `version ${version} of`} rule set ${ruleSetId} does not exist`,
        404,
      );
    }
    const key = `${entity.ruleSetId}@${entity.version}`;
    const cached = this.cached(key);
    if (cached) return cached;
    const loaded = { ruleSetId: entity.ruleSetId, version: entity.version, evaluator: this.compileStored(entity) };
    this.cache.set(key, loaded);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    return loaded;
  }

  /** A cached version, moved to most recently used (last), so the oldest goes first. */
  private cached(key: string): LoadedVersion | undefined {
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
    }
    return cached;
  }

  /** Compiles rule set content that is not (yet) a version, e.g. a draft under replay. */
  compile(file: RuleSetFile): RuleSetEvaluator {
    return compileRuleSet(file, LOOPGATE_RULE_OPTIONS);
  }

  async evaluate(ruleSetId: string, version: number | 'latest', facts: Facts): Promise<EvaluationResult> {
    const { evaluator } = await this.load(ruleSetId, version);
    try {
      return await evaluator.evaluateAsync(facts);
    } catch (error) {
      throw evaluationError(error);
    }
  }

  /** One result or error per set of facts, in order; one failing set does not fail the others. */
  async evaluateBatch(ruleSetId: string, version: number | 'latest', batch: Facts[]): Promise<EvaluateBatchResponse> {
    const { evaluator } = await this.load(ruleSetId, version);
    const results: EvaluateBatchResponse['results'] = [];
    for (const facts of batch) {
      try {
        results.push({ ok: true as const, result: await evaluator.evaluateAsync(facts) });
      } catch (error) {
        const failure = evaluationError(error);
        results.push({ ok: false as const, error: { code: failure.code, message: failure.message } });
      }
    }
    return { results };
  }

  /** A stored version whose text no longer matches its checksum has been tampered with: refuse it. */
  private compileStored(entity: RuleSetVersionEntity): RuleSetEvaluator {
    const actual = createHash('sha256').update(entity.content, 'utf8').digest('hex');
    if (actual !== entity.checksum) {
      throw new OperationalError(
        'RULE_SET_CHECKSUM_MISMATCH',
        `stored rule set ${entity.ruleSetId} version ${entity.version} does not match its checksum`,
        {
          ruleSetId: entity.ruleSetId,
          version: entity.version,
        },
      );
    }
    return this.compile(JSON.parse(entity.content) as RuleSetFile);
  }
}
