import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * A vitest configuration for a suite kept out of `npm test` (the container topology, the demo
 * walk): the sources compiled as the main configuration does, one file at a time.
 */
export function standaloneConfig(options: {
  name: string;
  include: string[];
  testTimeout: number;
  hookTimeout: number;
}): ViteUserConfig {
  return defineConfig({
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
      ...options,
      root: here('../..'),
      setupFiles: [here('../setup/reflect.ts')],
      reporters: ['default'],
      fileParallelism: false,
    },
  });
}
