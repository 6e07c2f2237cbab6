import { describe, expect, it } from 'vitest';
import { isZonedTimestamp } from './zoned-timestamp';

describe('isZonedTimestamp', () => {
  it.each(['2026-11-22T10:00:30Z', '2026-11-22T10:00:30.123Z', '2026-11-22T11:00:30+01:00', '2026-11-22T05:00-0500'])(
    'accepts %s',
    (value) => expect(isZonedTimestamp(value)).toBe(true),
  );

  it.each([
    '2026-11-22T10:00:30',
    '2026-11-22T10:00:30.500',
    '2026-11-22',
    '2026-11-22 10:00:30Z',
    '2026-13-22T10:00:30Z',
    'yesterday',
    1764000000000,
    undefined,
  ])('refuses %s', (value) => expect(isZonedTimestamp(value)).toBe(false));
});
