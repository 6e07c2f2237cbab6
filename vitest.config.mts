import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// NestJS needs decorator metadata, which esbuild does not emit: SWC compiles the TypeScript.
/** Every answer of every gateway a test starts is checked against the OpenAPI document (server/src/openapi). */
const CHECKED_RESPONSES = { LOOPGATE_CHECK_RESPONSES: '1' };

const shared = {
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript' as const, decorators: true, tsx: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' as const } },
        target: 'es2023' as const,
      },
    }),
  ],
  resolve: {
    alias: {
      '@loopgate/contracts': here('./contracts/src/index.ts'),
      // The more specific alias first: vite matches aliases in order, by prefix.
      '@loopgate/rules/core': here('./rules/src/core.ts'),
      '@loopgate/rules': here('./rules/src/index.ts'),
      // The palette's kafkajs guard, which the gateway's command topic applies too.
      'node-red-contrib-loopgate/dist/lib/kafka-idle-polling': here('./nodes/src/lib/kafka-idle-polling.ts'),
    },
  },
};

export default defineConfig({
  test: {
    reporters: ['default'],
    // Unit tests mostly wait (sockets, simulators, timeouts): four workers keep two cores busy.
    // The integration project runs one file at a time regardless (fileParallelism: false).
    maxWorkers: 4,
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          setupFiles: [here('./test/setup/reflect.ts')],
          env: CHECKED_RESPONSES,
          include: ['{contracts,rules,server,nodes}/src/**/*.spec.ts', 'editor/src/**/*.spec.{ts,tsx}'],
          exclude: ['**/node_modules/**', '**/*.slow.spec.ts', '**/*.isolated.spec.ts'],
          // The unit tests share their workers' module cache: importing NestJS, node-opcua and
          // Node-RED once per worker instead of once per file (a third of the time). Each file
          // still cleans up what it starts; a file that replaces a module (vi.mock) is
          // `*.isolated.spec.ts` and runs in the project below.
          isolate: false,
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'unit-isolated',
          setupFiles: [here('./test/setup/reflect.ts')],
          env: CHECKED_RESPONSES,
          include: ['{contracts,rules,server,nodes}/src/**/*.isolated.spec.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      // Unit tests that need seconds each (large property runs, throughput): `npm test` runs them, `test:unit` does not.
      {
        ...shared,
        test: {
          name: 'slow',
          setupFiles: [here('./test/setup/reflect.ts')],
          env: CHECKED_RESPONSES,
          include: ['{contracts,rules,server,nodes}/src/**/*.slow.spec.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'integration',
          setupFiles: [here('./test/setup/reflect.ts'), here('./test/setup/kafka.ts')],
          env: CHECKED_RESPONSES,
          include: ['test/**/*.test.ts'],
          // The container topology runs on its own: `npm run test:compose` (test/compose/vitest.config.mts).
          exclude: [...configDefaults.exclude, 'test/compose/**', 'test/walk/**'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
