import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Logger, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { API_PREFIX } from '@loopgate/contracts';
import { AppModule } from './app.module';
import { applyHttpSecurity } from './auth/hardening/http-security';
import { configureApi } from './common/api-setup';
import { loadConfig, type LoopgateConfig } from './config/config';
import { lockDatabase, type ProcessLock } from './database/process-lock';
import { FlowVersionsService } from './flows/services/flow-versions.service';
import { buildApiDocument } from './openapi/document';
import { mountNodeRed, type NodeRedProcess } from './red/node-red';

export interface Gateway {
  app: INestApplication;
  config: LoopgateConfig;
  /** The Node-RED process, when this gateway runs one. */
  nodeRed?: NodeRedProcess;
  /** `http://host:port` the gateway listens on. */
  url: string;
  close(): Promise<void>;
}

const LOG_LEVELS: Record<LoopgateConfig['logLevel'], LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** Where the console's built assets are: `editor/dist` beside `server/`. */
const CONSOLE_DIR = path.resolve(__dirname, '..', '..', 'editor', 'dist');

/**
 * Starts the gateway: NestJS on Express, with Node-RED in a child process behind its `/red/` and `/flows-http/`.
 *
 * @example
 * const gateway = await startGateway(loadConfig());
 * console.log(`listening on ${gateway.url}`);
 */
export async function startGateway(config: LoopgateConfig = loadConfig()): Promise<Gateway> {
  // On SQLite this process is the database's only gateway: a second start on the data folder is refused.
  let lock: ProcessLock | undefined;
  if (!config.databaseUrl) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    lock = lockDatabase(path.resolve(config.dataDir, 'loopgate.db'));
  }
  try {
    return await startLocked(config, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function startLocked(config: LoopgateConfig, lock: ProcessLock | undefined): Promise<Gateway> {
  const tls =
    config.tlsCert && config.tlsKey
      ? { cert: fs.readFileSync(config.tlsCert), key: fs.readFileSync(config.tlsKey) }
      : undefined;
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forConfig(config), {
    logger: LOG_LEVELS[config.logLevel],
    bodyParser: false,
    // A failed start rejects, so the caller reports it (main.ts: one line and a documented exit code).
    abortOnError: false,
    ...(tls ? { httpsOptions: tls } : {}),
  });
  app.enableShutdownHooks();
  // Nest closes the HTTP server after the modules stopped, also on SIGTERM (which then ends the
  // process without an exit event): the database is let go then.
  if (lock) (app.getHttpServer() as NodeJS.EventEmitter).once('close', () => lock.release());
  app.disable('x-powered-by');
  // Behind a reverse proxy the client's address comes from X-Forwarded-For, but only from the
  // proxies named here: the login throttle is keyed by it and must not take a client's word.
  const trust = trustProxySetting(config.trustProxy);
  if (trust !== undefined) app.set('trust proxy', trust);
  applyHttpSecurity(app, config);
  configureApi(app);

  // Built on the first request for it, not at start-up (the DTO schemas and the route scan).
  SwaggerModule.setup('api/docs', app, () => buildApiDocument(app), { jsonDocumentUrl: 'api/docs/openapi.json' });

  // Node-RED runs in its own process; the gateway proxies /red/ and /flows-http/ to it.
  let nodeRed: NodeRedProcess | undefined;
  if (config.nodeRed) nodeRed = mountNodeRed(app, config, app.get(FlowVersionsService));
  serveConsole(app);

  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number };
  const url = `${tls ? 'https' : 'http'}://${config.host}:${address.port}`;
  await nodeRed?.start({ port: address.port, url });
  new Logger('Loopgate').log(`gateway at ${url} (console /, API ${API_PREFIX}, Node-RED /red/)`);
  return {
    app,
    config,
    url,
    ...(nodeRed ? { nodeRed } : {}),
    async close() {
      try {
        await nodeRed?.stop();
        await app.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** Paths the console never serves: the API, Node-RED's two roots, health and metrics. */
const NOT_CONSOLE = /^\/(api|red|flows-http|health|metrics)(\/|$)/;
/** The console's built files: one that is missing is a 404, never the page in its place. */
const CONSOLE_ASSETS = /^\/assets\//;

/**
 * The console is a single-page app: its assets, and `index.html` for every other non-API path.
 * Requests to the API and the other reserved roots pass by without a look at the disk (the static
 * handler would stat a file for every GET, a thread-pool round trip per API read and `/health`).
 * A missing asset (a browser holding a page from before an upgrade) gets 404, not HTML it would
 * try to run as a script.
 */
function serveConsole(app: NestExpressApplication): void {
  const index = path.join(CONSOLE_DIR, 'index.html');
  const assets = express.static(CONSOLE_DIR, { index: false, maxAge: '1h' });
  const page = (req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (req.method !== 'GET' || CONSOLE_ASSETS.test(req.path) || !req.accepts('html')) return next();
    if (!fs.existsSync(index)) return res.status(503).type('text/plain').send('console not built: run npm run build');
    res.sendFile(index);
  };
  // One look at the path per request: a reserved root goes on to the gateway, anything else is a
  // built file or, failing that, the page.
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) =>
    NOT_CONSOLE.test(req.path)
      ? next()
      : assets(req, res, (error?: unknown) => (error ? next(error) : page(req, res, next))),
  );
}

/**
 * `LOOPGATE_TRUST_PROXY` as Express takes it: `true`/`false`, a hop count, or a comma-separated
 * list of addresses and subnets (`loopback, 10.0.0.0/8`). Unset: no proxy is trusted.
 */
export function trustProxySetting(value: string | undefined): boolean | number | string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}
