import { Controller, Get, Global, Header, Module } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { RequirePermission } from '../auth/permissions';

/** Every Loopgate metric starts with it: `loopgate_writeback_*`, `loopgate_process_*`, `loopgate_nodejs_*`. */
export const METRICS_NAMESPACE = 'loopgate_';

/** Exposes the process's Prometheus registry; modules register their metrics on the injected `Registry`. */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  @RequirePermission('public')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        // prom-client names its defaults process_* and nodejs_*: the prefix only adds the namespace.
        collectDefaultMetrics({ register: registry, prefix: METRICS_NAMESPACE });
        return registry;
      },
    },
  ],
  exports: [Registry],
})
export class MetricsModule {}
