import { Logger, Module } from '@nestjs/common';
import {
  ConfigError,
  LOOPGATE_CONFIG,
  resolveSecrets,
  type LoopgateConfig,
  type TargetInstanceConfig,
} from '../config/config';
import { createTargetAdapter } from '../targets/registry';
import { TargetConfigError } from '../targets/target-config';
import { ApprovalsController, WriteBacksController } from './api/writebacks.controller';
import { ControlController, TargetsController } from './api/targets.controller';
import { OutcomesController } from './api/outcomes.controller';
import { AlarmsController } from './api/alarms.controller';
import { AuditModule } from './audit.module';
import { COMMAND_BUS, type CommandBus } from './bus/command-bus';
import { kafkaBusFromConfig } from './bus/kafka';
import { OutboxBus } from './bus/outbox-bus';
import { parseTargetGovernance } from './config/target-governance';
import { processingStrategyOf } from './domain/retry-policy';
import type { EngineLogger, EngineObserver, GatewayStore, TargetRuntime } from './engine/ports';
import { WriteBackEngine } from './engine/writeback-engine';
import { AutonomyHooks } from './engine/autonomy-port';
import { CLOCK, SYSTEM_CLOCK, type Clock } from '../common/clock';
import { CommandRepository } from './persistence/command.repository';
import { AlarmRepository } from './persistence/alarm.repository';
import { AlarmsService } from './services/alarms.service';
import { GatewayMetrics } from './services/gateway-metrics';
import { OutcomeStream } from './services/outcome-stream';
import { TargetsService } from './services/targets.service';
import { MES_EVENT_MIRROR_OPTIONS, MesEventMirror } from './services/mes-event-mirror.service';
import {
  GATEWAY_STORE,
  TARGET_ADAPTER_FACTORY,
  TARGET_RUNTIMES,
  WRITEBACK_ENGINE,
  type TargetAdapterFactory,
} from './services/tokens';
import { WriteBackService } from './services/writeback.service';

const logger = new Logger('Gateway');
const engineLogger: EngineLogger = { warn: (m) => logger.warn(m), error: (m) => logger.error(m) };

/**
 * Adapters from the target registry, with `{ "env": "NAME" }` secrets resolved from the environment;
 * a bad connection fails the start, naming the field.
 */
export function defaultAdapterFactory(target: TargetInstanceConfig, env: NodeJS.ProcessEnv = process.env) {
  try {
    const connection = resolveSecrets(target.connection, env);
    return createTargetAdapter({ instance: target.instance, kind: target.kind, connection });
  } catch (error) {
    if (error instanceof TargetConfigError) {
      throw new ConfigError(
        error.issues.map(
          (issue) => `site.targets[${target.instance}]${issue.path.replace(/^\$/, '')}: ${issue.message}`,
        ),
      );
    }
    throw error;
  }
}

function runtimesFrom(config: LoopgateConfig, factory: TargetAdapterFactory): TargetRuntime[] {
  // Governance is validated for every target before any adapter is built.
  const governance = config.site.targets.map((target, index) => parseTargetGovernance(target, index));
  return config.site.targets.map((target, index) => ({
    instance: target.instance,
    kind: target.kind,
    adapter: factory(target),
    policy: governance[index].policy,
    approvals: governance[index].approvals,
    shadow: target.shadow ?? false,
    processing: processingStrategyOf(
      target.processing,
      target.guardrails?.retry ? governance[index].policy.retry : undefined,
    ),
  }));
}

function combine(...observers: EngineObserver[]): EngineObserver {
  return {
    outcome: (c) => observers.forEach((o) => o.outcome?.(c)),
    refused: (t, code) => observers.forEach((o) => o.refused?.(t, code)),
    finished: (c, l) => observers.forEach((o) => o.finished?.(c, l)),
    control: (s) => observers.forEach((o) => o.control?.(s)),
    target: (i) => observers.forEach((o) => o.target?.(i)),
    overridden: (id) => observers.forEach((o) => o.overridden?.(id)),
  };
}

/**
 * The write-back gateway: requests, guardrails, approvals, ordered dispatch through the command
 * bus, revert, pause and the kill switch, outcome stream and metrics.
 */
@Module({
  imports: [AuditModule],
  controllers: [
    WriteBacksController,
    ApprovalsController,
    TargetsController,
    ControlController,
    OutcomesController,
    AlarmsController,
  ],
  providers: [
    { provide: TARGET_ADAPTER_FACTORY, useValue: (target: TargetInstanceConfig) => defaultAdapterFactory(target) },
    { provide: TARGET_RUNTIMES, inject: [LOOPGATE_CONFIG, TARGET_ADAPTER_FACTORY], useFactory: runtimesFrom },
    {
      provide: COMMAND_BUS,
      inject: [LOOPGATE_CONFIG, GATEWAY_STORE],
      useFactory: (config: LoopgateConfig, store: GatewayStore): CommandBus => {
        if (config.bus === 'kafka') return kafkaBusFromConfig(config, store, engineLogger);
        return new OutboxBus(store, { logger: engineLogger });
      },
    },
    {
      provide: WRITEBACK_ENGINE,
      inject: [
        GATEWAY_STORE,
        COMMAND_BUS,
        TARGET_RUNTIMES,
        GatewayMetrics,
        OutcomeStream,
        AutonomyHooks,
        { token: CLOCK, optional: true },
      ],
      useFactory: (
        store: GatewayStore,
        bus: CommandBus,
        targets: TargetRuntime[],
        metrics: GatewayMetrics,
        stream: OutcomeStream,
        autonomy: AutonomyHooks,
        clock: Clock | undefined,
      ) =>
        new WriteBackEngine({
          store,
          bus,
          targets,
          observer: combine(metrics.observer(), stream.observer(), autonomy),
          logger: engineLogger,
          now: () => (clock ?? SYSTEM_CLOCK).now(),
          autonomy,
        }),
    },
    { provide: AutonomyHooks, useValue: new AutonomyHooks() },
    GatewayMetrics,
    OutcomeStream,
    CommandRepository,
    AlarmRepository,
    AlarmsService,
    WriteBackService,
    { provide: MES_EVENT_MIRROR_OPTIONS, useValue: {} },
    MesEventMirror,
    TargetsService,
  ],
  exports: [WRITEBACK_ENGINE, COMMAND_BUS, OutcomeStream, AutonomyHooks],
})
export class GatewayModule {}
