import { Controller, Get, Global, Injectable, Module, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { RequirePermission } from '../auth/permissions';

export interface HealthCheckResult {
  ok: boolean;
  /** A failing non-critical check makes the gateway degraded, not unready. */
  critical: boolean;
  message?: string;
}

/** `GET /health`: 200 while ready (every critical check passes), 503 when not. */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable';
  /** Always true: the process answers. */
  live: boolean;
  ready: boolean;
  checks: Record<string, HealthCheckResult>;
}

/** Modules register named checks (database, Node-RED, targets, OPC UA subscriptions) here. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, () => Promise<HealthCheckResult> | HealthCheckResult>();

  register(name: string, check: () => Promise<HealthCheckResult> | HealthCheckResult): void {
    this.checks.set(name, check);
  }

  async run(): Promise<Record<string, HealthCheckResult>> {
    const results: Record<string, HealthCheckResult> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          results[name] = await check();
        } catch (error) {
          results[name] = { ok: false, critical: true, message: (error as Error).message };
        }
      }),
    );
    return results;
  }
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly registry: HealthRegistry,
    dataSource: DataSource,
  ) {
    registry.register('database', async () => {
      await dataSource.query('SELECT 1');
      return { ok: true, critical: true };
    });
  }

  /** Liveness is answering at all; readiness is every critical check passing. */
  @Get()
  @RequirePermission('public')
  @ApiOkResponse({ description: 'Ready: every critical check passes (status ok, or degraded)' })
  @ApiServiceUnavailableResponse({ description: 'Not ready: a critical check fails; the report names it' })
  async health(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const checks = await this.registry.run();
    const ready = Object.values(checks).every((c) => c.ok || !c.critical);
    const degraded = Object.values(checks).some((c) => !c.ok);
    res.status(ready ? 200 : 503);
    return { status: ready ? (degraded ? 'degraded' : 'ok') : 'unavailable', live: true, ready, checks };
  }
}

@Global()
@Module({ controllers: [HealthController], providers: [HealthRegistry], exports: [HealthRegistry] })
export class HealthModule {}
