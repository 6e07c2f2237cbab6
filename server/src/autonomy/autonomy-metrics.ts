import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { levelIndex, selectorOf, type AutonomyLevel } from './domain/levels';

/**
 * Prometheus series of earned autonomy: the level per scope, automatic demotions (the alert
 * series: `loopgate_autonomy_demoted == 1`), scorecard counters per model and version, and the
 * clocks of decision inputs (alert: `loopgate_input_clock_skewed == 1`).
 */
@Injectable()
export class AutonomyMetrics {
  private readonly level: Gauge<'scope' | 'target' | 'parameter' | 'model'>;
  private readonly demoted: Gauge<'scope'>;
  private readonly demotions: Counter<'scope' | 'rule'>;
  private readonly outcomes: Counter<'model' | 'model_version' | 'outcome'>;
  private readonly skew: Gauge<'input'>;
  private readonly skewed: Gauge<'input'>;

  constructor(registry: Registry) {
    this.level = new Gauge({
      name: 'loopgate_autonomy_level',
      help: 'Autonomy level of a scope: 0 shadow, 1 supervised, 2 autonomous',
      labelNames: ['scope', 'target', 'parameter', 'model'],
      registers: [registry],
    });
    this.demoted = new Gauge({
      name: 'loopgate_autonomy_demoted',
      help: 'Scope dropped a level by itself and has not been promoted since (alert when 1)',
      labelNames: ['scope'],
      registers: [registry],
    });
    this.demotions = new Counter({
      name: 'loopgate_autonomy_demotions_total',
      help: 'Automatic demotions, by the rate that passed its threshold',
      labelNames: ['scope', 'rule'],
      registers: [registry],
    });
    this.skew = new Gauge({
      name: 'loopgate_input_clock_skew_seconds',
      help: "Source timestamp minus the gateway's clock at receipt, per input of AI decisions (latency included)",
      labelNames: ['input'],
      registers: [registry],
    });
    this.skewed = new Gauge({
      name: 'loopgate_input_clock_skewed',
      help: "1 while an input's source clock runs ahead past the site's allowed skew (its decisions are refused CLOCK_SKEW): the alert series",
      labelNames: ['input'],
      registers: [registry],
    });
    this.outcomes = new Counter({
      name: 'loopgate_autonomy_outcomes_total',
      help: 'AI decisions per model and version: proposed, applied, refused, approved, rejected, overridden, reverted, effect_*, feedback_*',
      labelNames: ['model', 'model_version', 'outcome'],
      registers: [registry],
    });
  }

  /**
   * Source time minus gateway time of the latest sample of an input (positive: the source clock is
   * ahead), and whether that is past the site's allowed skew.
   */
  clockSkew(input: string, seconds: number, pastAllowed: boolean): void {
    this.skew.set({ input }, seconds);
    this.skewed.set({ input }, pastAllowed ? 1 : 0);
  }

  setLevel(scopeId: string, level: AutonomyLevel): void {
    const { target, parameter, model } = selectorOf(scopeId);
    this.level.set({ scope: scopeId, target, parameter, model }, levelIndex(level));
  }

  demotedBy(scopeId: string, rule: string): void {
    this.demoted.set({ scope: scopeId }, 1);
    this.demotions.inc({ scope: scopeId, rule });
  }

  promoted(scopeId: string): void {
    this.demoted.set({ scope: scopeId }, 0);
  }

  count(model: string, modelVersion: string | null, outcome: string): void {
    this.outcomes.inc({ model, model_version: modelVersion ?? '', outcome });
  }
}
