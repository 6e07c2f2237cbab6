import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Command } from '../domain/command';
import type { EngineObserver } from '../engine/ports';

/**
 * The gateway's Prometheus metrics: commands by outcome and target, queue depth per target,
 * decision latency (event time → applied), guardrail refusals by code, the kill switch.
 */
@Injectable()
export class GatewayMetrics {
  private readonly commands: Counter<'outcome' | 'target'>;
  private readonly refusals: Counter<'code' | 'target'>;
  private readonly latency: Histogram<'target'>;
  private queueDepthOf: () => Map<string, number> = () => new Map();
  private stoppedNow: () => boolean = () => false;
  private targetsDownOf: () => Map<string, boolean> = () => new Map();

  constructor(registry: Registry) {
    this.commands = new Counter({
      name: 'loopgate_writeback_commands_total',
      help: 'Write-back commands that reached a terminal state, by outcome (state) and target instance',
      labelNames: ['outcome', 'target'],
      registers: [registry],
    });
    this.refusals = new Counter({
      name: 'loopgate_guardrail_refusals_total',
      help: 'Commands refused or held by a guardrail or approval rule, by reason code',
      labelNames: ['code', 'target'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'loopgate_writeback_decision_latency_seconds',
      help: 'From the triggering event (or receipt) to the write applied at the target',
      labelNames: ['target'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    const depthOf = () => this.queueDepthOf();
    const stopped = () => this.stoppedNow();
    new Gauge({
      name: 'loopgate_writeback_queue_depth',
      help: 'Commands accepted and not yet finished, per target instance',
      labelNames: ['target'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [target, depth] of depthOf()) this.set({ target }, depth);
      },
    });
    const downOf = () => this.targetsDownOf();
    new Gauge({
      name: 'loopgate_target_down',
      help: '1 while the gateway has marked the target down after consecutive outage signals (its queues hold)',
      labelNames: ['target'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [target, down] of downOf()) this.set({ target }, down ? 1 : 0);
      },
    });
    new Gauge({
      name: 'loopgate_writeback_dispatch_stopped',
      help: '1 while the global kill switch stops dispatch',
      registers: [registry],
      collect() {
        this.set(stopped() ? 1 : 0);
      },
    });
  }

  bind(
    queueDepth: () => Map<string, number>,
    stopped: () => boolean,
    targetsDown: () => Map<string, boolean> = () => new Map(),
  ): void {
    this.queueDepthOf = queueDepth;
    this.stoppedNow = stopped;
    this.targetsDownOf = targetsDown;
  }

  observer(): EngineObserver {
    return {
      refused: (target, code) => this.refusals.inc({ code, target }),
      finished: (command: Command, latencyMs) => {
        this.commands.inc({ outcome: command.state, target: command.target.instance });
        if (latencyMs !== undefined && command.state === 'applied')
          this.latency.observe({ target: command.target.instance }, Math.max(0, latencyMs) / 1000);
      },
    };
  }
}
