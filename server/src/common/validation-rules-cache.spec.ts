import { plainToInstance } from 'class-transformer';
import { IsInt, IsString, Max, validate, type ValidationError } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { WriteBackRequestDto } from '../gateway/api/dto/writeback-request.dto';
import { FakeTarget } from '../gateway/testing/fake-target';
import { setRequest } from '../gateway/testing/harness';
import { cacheValidationRules } from './validation-rules-cache';

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

/** The verdict as the API states it: each failing path with its constraints. */
async function verdict(type: new () => object, body: unknown): Promise<string[]> {
  const flat = (errors: ValidationError[], prefix = ''): string[] =>
    errors.flatMap((e) => [
      ...Object.keys(e.constraints ?? {}).map((c) => `${prefix}${e.property}:${c}`),
      ...flat(e.children ?? [], `${prefix}${e.property}.`),
    ]);
  return flat(await validate(plainToInstance(type, body) as object, OPTIONS)).sort();
}

const request = setRequest(new FakeTarget({ instance: 'opcenter-demo' }));
const valid = {
  ...request,
  lineage: { ...request.lineage, score: 0.8 },
  effectCheck: { kpi: 'scrap-rate', expected: 'decrease', windowSeconds: 600, tolerance: 0.1 },
};

const bodies: unknown[] = [
  valid,
  { ...valid, lineage: { modelId: 7 }, extra: true },
  { ...valid, target: { kind: 'none' }, object: 'x', value: { nested: [1] } },
  { ...valid, effectCheck: { kpi: '', expected: 'sideways', windowSeconds: -1, surplus: 1 } },
  { ...valid, notAfter: '2026-12-04T10:00:00', requestId: '' },
  {},
];

class Base {
  @IsString()
  name!: string;
}

describe('cached validation rules', () => {
  it('validate every body as before, nested and inherited rules included', async () => {
    const before = await Promise.all(bodies.map((body) => verdict(WriteBackRequestDto, body)));
    const baseBefore = await verdict(Base, { name: 3, surplus: 1 });
    expect(before[0]).toEqual([]);
    expect(before.slice(1).every((errors) => errors.length > 0)).toBe(true);

    cacheValidationRules();
    cacheValidationRules(); // a second call keeps the one cache

    for (let round = 0; round < 2; round++) {
      expect(await Promise.all(bodies.map((body) => verdict(WriteBackRequestDto, body)))).toEqual(before);
      expect(await verdict(Base, { name: 3, surplus: 1 })).toEqual(baseBefore);
    }
  });

  it('give a class defined after its base was validated the base rules and its own', async () => {
    cacheValidationRules();
    await verdict(Base, { name: 'x' });
    class Derived extends Base {
      @IsInt()
      @Max(10)
      count!: number;
    }
    expect(await verdict(Derived, { name: 1, count: 11 })).toEqual(['count:max', 'name:isString']);
    expect(await verdict(Derived, { name: 'x', count: 3 })).toEqual([]);
    expect(await verdict(Base, { name: 'x', count: 3 })).toEqual(['count:whitelistValidation']);
  });
});
