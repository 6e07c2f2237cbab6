import type { WriteBackRequest } from '@loopgate/contracts';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkWriteBackRequest } from '../../../../../nodes/src/lib/writeback/request-schema';
import { WriteBackRequestDto } from './writeback-request.dto';

/** What the gateway's ValidationPipe decides (the options of api-setup.ts). */
async function serverTakes(body: unknown): Promise<boolean> {
  const dto = plainToInstance(WriteBackRequestDto, body);
  const errors = await validate(dto as object, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  return errors.length === 0;
}

const base: WriteBackRequest = {
  requestId: 'req-1',
  lineage: { flowId: 'f', nodeId: 'n', modelId: 'tool-wear-cnc', inferenceId: 'inf-1' },
  target: { kind: 'opcenter', instance: 'opcenter-demo' },
  object: { type: 'recipe-parameter', id: 'CNC_Cell_01/OP20' },
  action: 'set-parameter',
  parameter: 'FeedRate',
  value: 1150,
  reason: 'tool wear',
  notAfter: '2026-12-04T10:00:00.000Z',
};

/** Changes a palette could make to a request: each field set to text, numbers or shapes of any kind. */
const change = fc.oneof(
  fc.record({ field: fc.constant('target.instance'), value: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()) }),
  fc.record({
    field: fc.constant('reason'),
    value: fc.oneof(fc.string({ maxLength: 2100 }), fc.constant('x'.repeat(2001))),
  }),
  fc.record({ field: fc.constant('requestId'), value: fc.oneof(fc.string({ maxLength: 220 }), fc.constant('')) }),
  fc.record({ field: fc.constant('parameter'), value: fc.oneof(fc.string({ maxLength: 220 }), fc.constant(null)) }),
  fc.record({ field: fc.constant('object.id'), value: fc.oneof(fc.string({ maxLength: 220 }), fc.boolean()) }),
  fc.record({ field: fc.constant('lineage.modelId'), value: fc.oneof(fc.string({ maxLength: 220 }), fc.integer()) }),
  fc.record({
    field: fc.constant('lineage.score'),
    value: fc.oneof(fc.double(), fc.constantFrom(Number.POSITIVE_INFINITY, Number.NaN), fc.string()),
  }),
  fc.record({
    field: fc.constant('effectCheck'),
    value: fc.record(
      {
        kpi: fc.string({ maxLength: 210 }),
        expected: fc.constantFrom('increase', 'decrease', 'sideways'),
        windowSeconds: fc.oneof(fc.integer({ min: -5, max: 700_000 }), fc.double({ noNaN: true })),
        tolerance: fc.double({ min: -1, max: 5, noNaN: true }),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ field: fc.constant('zzUnknown'), value: fc.jsonValue({ maxDepth: 1 }) }),
  fc.record({ field: fc.constant('action'), value: fc.constantFrom('set-parameter', 'hold-lot', 'explode') }),
);

function applied(changes: { field: string; value: unknown }[]): Record<string, unknown> {
  const request = structuredClone(base) as unknown as Record<string, unknown>;
  for (const { field, value } of changes) {
    const keys = field.split('.');
    const parent = keys.slice(0, -1).reduce((o, k) => o[k] as Record<string, unknown>, request);
    parent[keys[keys.length - 1]] = value;
  }
  return request;
}

describe("the palette's write-back check and the gateway's DTO", () => {
  it('take the base request', async () => {
    expect(checkWriteBackRequest(base)).toEqual([]);
    expect(await serverTakes(base)).toBe(true);
  });

  it('agree on every changed request: what one refuses, the other refuses', async () => {
    const tally: Record<string, number> = { true: 0, false: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(change, { minLength: 1, maxLength: 3 }), async (changes) => {
        const request = applied(changes);
        const palette = checkWriteBackRequest(request as unknown as WriteBackRequest).length === 0;
        const server = await serverTakes(request);
        tally[String(server)]++;
        expect(palette, JSON.stringify(changes).slice(0, 300)).toBe(server);
      }),
      { numRuns: Number(process.env.LOOPGATE_AGREEMENT_RUNS ?? 400) },
    );
    // Both answers were drawn often: a property that only ever saw refusals would prove little.
    expect(tally.true).toBeGreaterThan(40);
    expect(tally.false).toBeGreaterThan(40);
  });

  it('names the field and the limit the gateway sets', () => {
    const issues = checkWriteBackRequest({
      ...base,
      reason: 'r'.repeat(2001),
      target: { ...base.target, instance: 'a b' },
    });
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      ['$.target.instance', 'INVALID_ENUM'],
      ['$.reason', 'TOO_LONG'],
    ]);
  });
});
