import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// `npm run test:compose`: needs a Docker engine and docker-compose; kept out of `npm test` (minutes of wall time).
export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2023',
      },
    }),
  ],
  resolve: {
    alias: {
      '@loopgate/contracts': here('../../contracts/src/index.ts'),
      '@loopgate/rules': here('../../rules/src/index.ts'),
    },
  },
  test: {
    name: 'compose',
    root: here('../..'),
    include: ['test/compose/**/*.test.ts'],
    setupFiles: [here('../setup/reflect.ts')],
    reporters: ['default'],
    testTimeout: 900_000,
    hookTimeout: 2_700_000,
    fileParallelism: false,
  },
});
