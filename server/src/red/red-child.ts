/**
 * The Node-RED process. The gateway forks it with a scrubbed environment, sends one `start`
 * message over IPC (the service token, the editor tokens' public key, the credential secret),
 * and proxies `/red/` and `/flows-http/` to the 127.0.0.1 port it reports back. When started as
 * root it drops to the given user before anything of Node-RED is loaded.
 */
import * as http from 'node:http';
import { createRequire } from 'node:module';
import type { ChildStart, ChildToGateway, GatewayToChild } from './child-protocol';
import { NODE_RED_ADMIN_ROOT, NODE_RED_HTTP_ROOT } from './child-protocol';
import { childSettings } from './child-settings';

interface NodeRedRuntime {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: http.RequestListener;
  httpNode: http.RequestListener;
}

interface Palette {
  livenessReport(): { nodes: { nodeId: string; name?: string; type: string; flowId?: string; stale: boolean }[] };
}

type ExpressApp = http.RequestListener & { use(path: string, handler: unknown): void };

function send(message: ChildToGateway): void {
  process.send?.(message);
}

function dropPrivileges(runAs: NonNullable<ChildStart['runAs']>): void {
  process.setgroups?.([runAs.gid]);
  process.setgid?.(runAs.gid);
  process.setuid?.(runAs.uid);
  if (process.getuid?.() !== runAs.uid || process.getgid?.() !== runAs.gid)
    throw new Error(`could not switch to uid ${runAs.uid} gid ${runAs.gid}`);
}

async function start(message: ChildStart): Promise<void> {
  if (message.runAs) dropPrivileges(message.runAs);
  // The palette's gateway config node reads the token from LOOPGATE_TOKEN; it is the only credential here.
  process.env.LOOPGATE_TOKEN = message.serviceToken;
  process.chdir(message.userDir);

  // Node-RED's own Express 4, not the gateway's: its routers expect it.
  const fromNodeRed = createRequire(require.resolve('node-red/package.json'));
  const express = fromNodeRed('express') as () => ExpressApp;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRedRuntime;
  const app = express();
  const server = http.createServer(app);
  RED.init(server, childSettings(message));
  app.use(NODE_RED_ADMIN_ROOT, RED.httpAdmin);
  app.use(NODE_RED_HTTP_ROOT, RED.httpNode);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  await RED.start();
  const port = (server.address() as { port: number }).port;

  process.removeAllListeners('message');
  process.on('message', (raw: GatewayToChild) => {
    if (raw.type === 'liveness') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const palette = require('node-red-contrib-loopgate') as Palette;
      send({ type: 'liveness', id: raw.id, nodes: palette.livenessReport().nodes });
    } else if (raw.type === 'stop') {
      RED.stop().finally(() => process.exit(0));
    }
  });
  send({ type: 'listening', port, uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 });
}

// Without the gateway there is nothing to serve: an orphaned child ends itself.
process.on('disconnect', () => process.exit(0));
process.once('message', (message: GatewayToChild) => {
  if (message.type !== 'start') return;
  start(message).catch((error: unknown) => {
    send({ type: 'fatal', code: 'NODE_RED_START_FAILED', message: (error as Error).stack ?? String(error) });
    process.exit(1);
  });
});
