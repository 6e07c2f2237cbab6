import { Inject, Injectable, Optional } from '@nestjs/common';
import type { ControlState, TargetStatus } from '@loopgate/contracts';
import type { Principal } from '../../auth/principal';
import { CLOCK, SYSTEM_CLOCK, type Clock } from '../../common/clock';
import { SharedProbe } from '../../common/shared-probe';
import { HealthRegistry } from '../../health/health.module';
import type { TargetRuntime } from '../engine/ports';
import type { TargetDown } from '../engine/target-availability';
import type { WriteBackEngine } from '../engine/writeback-engine';
import { actorOf } from './actor';
import { GatewayMetrics } from './gateway-metrics';
import { MesEventMirror } from './mes-event-mirror.service';
import { OutcomeStream } from './outcome-stream';
import { TARGET_RUNTIMES, WRITEBACK_ENGINE } from './tokens';

const HEALTH_TIMEOUT_MS = 2000;
/** How long a MES health probe's answer serves `/health` and the target list before the next probe. */
const HEALTH_MAX_AGE_MS = 5000;

const downMessage = (down: TargetDown) =>
  `marked down since ${down.since} (${down.reason})${down.lastProbe ? `, last probe: ${down.lastProbe}` : ''}; queues hold, next probe at ${down.nextProbeAt}`;

/** Target status, pause, resume, shadow mode and the global kill switch. */
@Injectable()
export class TargetsService {
  /** One probe per target, shared by every request that asks within its age. */
  private readonly probes = new Map<string, SharedProbe<{ healthy: boolean; message?: string }>>();

  constructor(
    @Inject(WRITEBACK_ENGINE) private readonly engine: WriteBackEngine,
    @Inject(TARGET_RUNTIMES) private readonly runtimes: TargetRuntime[],
    stream: OutcomeStream,
    metrics: GatewayMetrics,
    registry: HealthRegistry,
    @Optional() private readonly mirror?: MesEventMirror,
    @Optional() @Inject(CLOCK) clock: Clock = SYSTEM_CLOCK,
  ) {
    for (const runtime of runtimes) {
      this.probes.set(runtime.instance, new SharedProbe(() => this.probeHealth(runtime), HEALTH_MAX_AGE_MS, clock));
    }
    stream.bindTargetStatus((instance) => this.status(instance));
    metrics.bind(
      () => new Map(this.runtimes.map((runtime) => [runtime.instance, this.engine.queueDepth(runtime.instance)])),
      () => this.engine.controlState().stopped,
      () =>
        new Map(this.runtimes.map((runtime) => [runtime.instance, !!this.engine.targetState(runtime.instance).down])),
    );
    for (const runtime of runtimes) {
      // A target being down degrades the gateway; it does not make it unready.
      registry.register(`target:${runtime.instance}`, async () => {
        const down = this.engine.targetState(runtime.instance).down;
        if (down) return { ok: false, critical: false, message: downMessage(down) };
        const health = await this.checkHealth(runtime);
        return { ok: health.healthy, critical: false, ...(health.message ? { message: health.message } : {}) };
      });
    }
  }

  async list(): Promise<TargetStatus[]> {
    await Promise.all(this.runtimes.map((runtime) => this.checkHealth(runtime)));
    const eventLogs = (await this.mirror?.status()) ?? new Map();
    return this.runtimes.map((runtime) => {
      const status = this.status(runtime.instance) as TargetStatus;
      const eventLog = eventLogs.get(runtime.instance);
      return eventLog ? { ...status, eventLog } : status;
    });
  }

  status(instance: string): TargetStatus | undefined {
    const runtime = this.runtimes.find((r) => r.instance === instance);
    if (!runtime) return undefined;
    const state = this.engine.targetState(instance);
    const health = state.down
      ? { healthy: false, message: downMessage(state.down) }
      : this.probes.get(instance)?.latest;
    return {
      instance,
      kind: runtime.kind,
      healthy: health?.healthy ?? true,
      ...(health?.message ? { healthMessage: health.message } : {}),
      ...(state.down ? { down: state.down } : {}),
      paused: state.paused,
      shadow: state.shadow,
      queueDepth: state.queueDepth,
      currentRate: state.currentRate,
      rateLimit: runtime.adapter.rateLimit,
      lastErrors: state.lastErrors,
    };
  }

  async pause(
    instance: string,
    paused: boolean,
    principal: Principal | undefined,
    reason?: string,
  ): Promise<TargetStatus> {
    await this.engine.setPaused(instance, paused, actorOf(principal), reason);
    return this.status(instance) as TargetStatus;
  }

  async shadow(
    instance: string,
    enabled: boolean,
    principal: Principal | undefined,
    reason?: string,
  ): Promise<TargetStatus> {
    await this.engine.setShadow(instance, enabled, actorOf(principal), reason);
    return this.status(instance) as TargetStatus;
  }

  control(): ControlState {
    return this.engine.controlState();
  }

  stopAll(principal: Principal | undefined, reason?: string): Promise<ControlState> {
    return this.engine.stopAll(actorOf(principal), reason);
  }

  resumeAll(principal: Principal | undefined): Promise<ControlState> {
    return this.engine.resumeAll(actorOf(principal));
  }

  /** The target's health as last probed within `HEALTH_MAX_AGE_MS`, probing once for all callers otherwise. */
  private checkHealth(runtime: TargetRuntime): Promise<{ healthy: boolean; message?: string }> {
    return this.probes.get(runtime.instance)!.get();
  }

  private async probeHealth(runtime: TargetRuntime): Promise<{ healthy: boolean; message?: string }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<{ healthy: boolean; message: string }>((resolve) => {
      timer = setTimeout(
        () => resolve({ healthy: false, message: `no health answer within ${HEALTH_TIMEOUT_MS} ms` }),
        HEALTH_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([runtime.adapter.health(), timeout]);
    } catch (error) {
      return { healthy: false, message: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
