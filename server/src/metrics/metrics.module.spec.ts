import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsModule } from './metrics.module';

describe('MetricsModule', () => {
  let registry: Registry;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [MetricsModule] }).compile();
    registry = moduleRef.get(Registry);
    close = () => moduleRef.close();
  });
  afterAll(() => close());

  it('names the process and Node.js metrics loopgate_process_* and loopgate_nodejs_*, once namespaced', async () => {
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('loopgate_process_cpu_seconds_total');
    expect(names).toContain('loopgate_process_start_time_seconds');
    expect(names).toContain('loopgate_nodejs_eventloop_lag_seconds');
    expect(names.filter((n) => !n.startsWith('loopgate_process_') && !n.startsWith('loopgate_nodejs_'))).toEqual([]);
    expect(names.filter((n) => /^loopgate_process_process_|^loopgate_process_nodejs_/.test(n))).toEqual([]);
  });
});
