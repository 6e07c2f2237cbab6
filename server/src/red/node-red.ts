import * as fs from 'node:fs';
import type { Server } from 'node:http';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { LoopgateConfig } from '../config/config';
import type { HealthCheckResult } from '../health/health.module';
import { isFlowFile, toNodeRedFlows } from './flow-file';

/** Where Node-RED's editor and HTTP-in nodes are mounted in the gateway's server. */
export const NODE_RED_ADMIN_ROOT = '/red';
export const NODE_RED_HTTP_ROOT = '/flows-http';

interface NodeRedRuntime {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: (req: unknown, res: unknown, next: unknown) => void;
  httpNode: (req: unknown, res: unknown, next: unknown) => void;
}

export interface EmbeddedNodeRed {
  stop(): Promise<void>;
}

/** Extra Node-RED settings other modules contribute (for example `adminAuth` from the auth module). */
export type NodeRedSettingsContributor = () => Record<string, unknown>;

/**
 * Mounts Node-RED in the gateway's own HTTP server: editor at `/red/`, HTTP-in nodes under
 * `/flows-http/`. The user directory lives under the data folder; the flow file from
 * configuration (a Loopgate flow file or a Node-RED array) becomes its `flows.json`.
 */
export function embedNodeRed(
  app: INestApplication,
  config: LoopgateConfig,
  extraSettings: Record<string, unknown> = {},
): EmbeddedNodeRed {
  // Node-RED is a singleton module with CommonJS internals; load it only when embedding.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRedRuntime;
  const logger = new Logger('NodeRED');
  const userDir = path.resolve(config.dataDir, 'node-red');
  fs.mkdirSync(userDir, { recursive: true });
  if (config.flowFile) writeFlows(path.resolve(config.flowFile), path.join(userDir, 'flows.json'));

  const { logging: extraLogging, ...otherSettings } = extraSettings;
  RED.init(app.getHttpServer() as Server, {
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: NODE_RED_ADMIN_ROOT,
    httpNodeRoot: NODE_RED_HTTP_ROOT,
    uiPort: config.port,
    uiHost: config.host,
    credentialSecret: config.credentialSecret ?? false,
    // Our palette and node-red-contrib-opcua are found beside node-red in node_modules.
    editorTheme: {
      projects: { enabled: false },
      tours: false,
      header: { title: 'Loopgate flows' },
      palette: { categories: ['Loopgate', 'opcua', 'common', 'function', 'network', 'sequence', 'parser', 'storage'] },
    },
    logging: {
      console: {
        level: config.logLevel === 'debug' ? 'debug' : config.logLevel === 'info' ? 'info' : 'warn',
        metrics: false,
        audit: false,
      },
      ...(extraLogging as Record<string, unknown> | undefined),
    },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    functionExternalModules: false,
    ...otherSettings,
  });
  app.use(NODE_RED_ADMIN_ROOT, RED.httpAdmin);
  // Through a function, not mounted: a mounted httpNode's root app would be Nest's Express 5 app, which has
  // no `_router`, and Node-RED's http-in nodes fail to load ("Cannot read properties of undefined (reading 'stack')").
  app.use(NODE_RED_HTTP_ROOT, (req: { query?: unknown }, res: unknown, next: unknown) => {
    // Express 5's `req.query` is a getter that Node-RED's Express 4 app drops when it swaps the prototype (http response then fails).
    Object.defineProperty(req, 'query', { value: req.query, writable: true, configurable: true, enumerable: true });
    RED.httpNode(req, res, next);
  });
  const started = RED.start().then(
    () => logger.log(`Node-RED editor at ${NODE_RED_ADMIN_ROOT}/`),
    (error: unknown) => logger.error(`Node-RED did not start: ${(error as Error).message}`),
  );
  return {
    async stop() {
      await started;
      await RED.stop();
    },
  };
}

function writeFlows(source: string, destination: string): void {
  const parsed: unknown = JSON.parse(fs.readFileSync(source, 'utf8'));
  const nodes = isFlowFile(parsed) ? toNodeRedFlows([parsed]) : parsed;
  fs.writeFileSync(destination, JSON.stringify(nodes, null, 2));
}

interface PaletteLiveness {
  livenessReport(): {
    ok: boolean;
    nodes: { nodeId: string; name?: string; type: string; flowId?: string; stale: boolean }[];
  };
}

/**
 * Flow inputs that went silent (an OPC UA subscription that did not survive a server restart, a
 * stalled AI source), as the palette's nodes report them: a degraded gateway, not an unready one.
 */
export function flowInputsHealth(): HealthCheckResult {
  // The palette keeps its registry process-wide, so this sees what the embedded Node-RED's nodes report.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const palette = require('node-red-contrib-loopgate') as PaletteLiveness;
  const stale = palette.livenessReport().nodes.filter((n) => n.stale);
  if (stale.length === 0) return { ok: true, critical: false };
  const names = stale.map((n) => `${n.name || n.type} (${n.nodeId}${n.flowId ? ` in ${n.flowId}` : ''})`);
  return { ok: false, critical: false, message: `no input for too long: ${names.join(', ')}` };
}
