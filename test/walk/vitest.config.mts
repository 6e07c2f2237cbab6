import { standaloneConfig } from '../support/standalone-vitest.mts';

// `npm run walk:demo`: the demo used for WALK_MINUTES (default 15) by an operator and an engineer
// in a real browser at 1024×768; kept out of `npm test` (a quarter of an hour of wall time).
export default standaloneConfig({
  name: 'walk',
  include: ['test/walk/**/*.test.ts'],
  testTimeout: 3_600_000,
  hookTimeout: 300_000,
});
