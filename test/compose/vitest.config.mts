import { standaloneConfig } from '../support/standalone-vitest.mts';

// `npm run test:compose`: needs a Docker engine and docker-compose; kept out of `npm test` (minutes of wall time).
export default standaloneConfig({
  name: 'compose',
  include: ['test/compose/**/*.test.ts'],
  testTimeout: 900_000,
  hookTimeout: 2_700_000,
});
