import { createServer } from 'node:net';

/**
 * A port the OS had free a moment ago on `host`: for a server that must know its port before it
 * starts (a redirect URL that names it) or keep it across restarts. Prefer listening on port 0
 * where neither matters.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
