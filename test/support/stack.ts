/**
 * The whole stack for end-to-end and browser tests: simulators, gateway with Node-RED, demo users,
 * published rule sets. Each test file starts its own on free ports in a fresh data folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, startDemoStack, type DemoStack, type DemoStackOptions } from '../../server/src/demo/stack';

export type { DemoStack } from '../../server/src/demo/stack';
export { DEMO_PASSWORD, DEMO_USERS } from '../../server/src/demo/demo-site';

export async function startTestStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-stack-'));
  return startDemoStack({ port: 0, opcuaPort: await freePort(), dataDir, fresh: true, logLevel: 'warn', ...options });
}

/** Polls `probe` until it returns a value, or fails with the last error after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}
