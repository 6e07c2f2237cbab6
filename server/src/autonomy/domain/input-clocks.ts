import type { InputSample } from '@loopgate/contracts';
import { qualityOf, type InputQualityPolicy } from './input-quality';

/** What the gateway last saw of one decision input: its source clock against the gateway's, and its quality. */
export interface InputClock {
  name: string;
  /** The source time of the latest sample, ISO 8601. */
  sourceTime: string;
  /** When the gateway received it, ISO 8601. */
  seenAt: string;
  /** Source time minus the gateway's clock at receipt, s: positive means the source clock runs ahead. */
  skewSeconds: number;
  quality: 'good' | 'uncertain' | 'bad';
  /** Ahead by more than the site allows (`inputQuality.maxClockSkewSeconds`): its decisions are refused CLOCK_SKEW. */
  skewed: boolean;
}

/**
 * The latest clock reading per decision input, for the Targets page: bounded, so a source that
 * names a new input with every sample costs at most `capacity` entries (the one heard from
 * longest ago is forgotten). Held by each gateway process for what it received.
 */
export class InputClocks {
  private readonly clocks = new Map<string, InputClock>();

  constructor(private readonly capacity = 500) {}

  record(inputs: readonly InputSample[] | undefined, now: number, policy: InputQualityPolicy): void {
    for (const input of inputs ?? []) {
      if (input.sourceTime === undefined) continue;
      const source = Date.parse(input.sourceTime);
      if (!Number.isFinite(source)) continue;
      const skewSeconds = Math.round((source - now) / 10) / 100;
      this.clocks.delete(input.name);
      this.clocks.set(input.name, {
        name: input.name,
        sourceTime: new Date(source).toISOString(),
        seenAt: new Date(now).toISOString(),
        skewSeconds,
        quality: qualityOf(input),
        skewed: skewSeconds > policy.maxClockSkewSeconds,
      });
      if (this.clocks.size > this.capacity) {
        const oldest = this.clocks.keys().next().value;
        if (oldest !== undefined) this.clocks.delete(oldest);
      }
    }
  }

  /** Every input, the most skewed first (ahead or behind). */
  list(): InputClock[] {
    return [...this.clocks.values()].sort((a, b) => Math.abs(b.skewSeconds) - Math.abs(a.skewSeconds));
  }
}
