import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The gateway serves the built console at `/` with an SPA fallback; the API is same-origin under /api/v1.
export default defineConfig({
  base: '/',
  // One vite for the console's build and the tests (vitest's).
  plugins: [react()],
  resolve: {
    alias: {
      '@loopgate/contracts': here('../contracts/src/index.ts'),
      '@loopgate/rules/core': here('../rules/src/core.ts'),
    },
  },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    port: 18400,
    strictPort: true,
    proxy: { '/api': process.env.LOOPGATE_API ?? 'http://127.0.0.1:1880' },
  },
  preview: { port: 18401, strictPort: true },
});
