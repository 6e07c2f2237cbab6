import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import * as path from 'node:path';
import { Logger, type INestApplication } from '@nestjs/common';
import { Authenticator } from '../auth/authenticator';
import { LoginThrottle } from '../auth/identity/login-throttle';
import { PasswordCheck } from '../auth/identity/password-check';
import { RequestLimit } from '../auth/limits/request-limit';
import { NodeRedGate, type FlowDeployHandler } from '../auth/node-red-admin-auth';
import type { Principal } from '../auth/principal';
import { SecurityAudit } from '../auth/security-audit';
import { ServiceTokensService } from '../auth/tokens/service-tokens.service';
import { SharedProbe } from '../common/shared-probe';
import { ConfigError, type LoopgateConfig, type NodeRedSiteConfig } from '../config/config';
import { HealthRegistry } from '../health/health.module';
import { childEnvironment, lookUpUser, unreadableFor } from './child-environment';
import { flowInputsHealthOf } from './child-protocol';
import { EditorTokenSigner } from './editor-token';
import { RedProxy } from './red-proxy';
import { NodeRedSupervisor } from './supervisor';

export { NODE_RED_ADMIN_ROOT, NODE_RED_HTTP_ROOT } from './child-protocol';

/** Name of the service token the Node-RED process gets; a new one at every gateway start, the old ones revoked. */
export const RUNTIME_TOKEN_NAME = 'node-red-runtime';
const SYSTEM: Principal = { kind: 'service', id: 'system', displayName: 'system', roles: [] };
const FLOW_ENV_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;

/** The flows Node-RED must run, as change control has them: written into its user directory before every start. */
export interface FlowSource {
  runningFlows(): Promise<unknown[]>;
  /** Where published flow versions are deployed from now on. */
  attachRuntime(runtime: { deploy(flows: unknown[]): Promise<void>; revision(): Promise<string | undefined> }): void;
}

export interface NodeRedProcess {
  supervisor: NodeRedSupervisor;
  /** Starts the child once the gateway listens (flows call the gateway back on its port). */
  start(gateway: { port: number; url: string }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Node-RED as a separate, least-privileged process behind the gateway: prepares its user
 * directory (owned by the Node-RED user; the gateway's database, secrets and site file stay 0600
 * and the gateway's), mounts the proxy for `/red/` and `/flows-http/`, and registers its health
 * (degraded, never unready, while it is down) and the palette's flow-input liveness from it.
 */
export function mountNodeRed(
  app: INestApplication,
  config: LoopgateConfig,
  flows: FlowSource & FlowDeployHandler,
): NodeRedProcess {
  const logger = new Logger('NodeRED');
  const site: NodeRedSiteConfig = config.site.nodeRed ?? {};
  const dataDir = path.resolve(config.dataDir);
  const userDir = path.join(dataDir, 'node-red');
  fs.mkdirSync(userDir, { recursive: true });
  const credentialSecret = config.credentialSecret ?? storedSecret(path.join(dataDir, 'node-red-credential-secret'));
  const runAs = chooseUser(site, logger);
  protectGatewayFiles(config, runAs !== undefined);

  const signer = EditorTokenSigner.generate();
  const tokens = app.get(ServiceTokensService);
  const supervisorRef: { current?: NodeRedSupervisor } = {};
  const gate = new NodeRedGate({
    authenticator: app.get(Authenticator),
    passwords: app.get(PasswordCheck),
    throttle: app.get(LoginThrottle),
    audit: app.get(SecurityAudit),
    signer,
    deploys: flows,
    sessionTtlMinutes: config.sessionTtlMinutes,
    endpoints: site.httpEndpoints ?? [],
    requests: app.get(RequestLimit),
  });
  const proxy = new RedProxy({ port: () => supervisorRef.current?.port() }, gate);
  app.use(proxy.middleware);
  proxy.attachUpgrades(app.getHttpServer() as Server);

  const health = app.get(HealthRegistry);
  health.register('node-red', () =>
    supervisorRef.current ? supervisorRef.current.health() : { ok: false, critical: false, message: 'not started' },
  );
  // Asked of the child once for all `/health` requests within two seconds, not once per request.
  const liveness = new SharedProbe(async () => supervisorRef.current?.liveness(), 2_000);
  health.register('flow-inputs', async () => {
    const nodes = await liveness.get();
    if (!nodes) return { ok: false, critical: false, message: 'unknown while Node-RED is not running' };
    return flowInputsHealthOf(nodes);
  });

  return {
    get supervisor(): NodeRedSupervisor {
      if (!supervisorRef.current) throw new Error('Node-RED has not been started');
      return supervisorRef.current;
    },
    async start(gateway) {
      const serviceToken = await runtimeToken(tokens);
      const supervisor = new NodeRedSupervisor({
        start: {
          serviceToken,
          editorPublicKeyPem: signer.publicKeyPem,
          credentialSecret,
          userDir,
          logLevel: config.logLevel,
          enableExec: site.enableExec === true,
          ...(runAs ? { runAs } : {}),
        },
        env: childEnvironment({
          parent: process.env,
          userDir,
          gatewayPort: gateway.port,
          gatewayUrl: gateway.url,
          flowEnv: flowEnvironment(site),
        }),
        signer,
        beforeStart: async () => {
          writePrivate(path.join(userDir, 'flows.json'), JSON.stringify(await flows.runningFlows(), null, 2));
          if (runAs) chownTree(userDir, runAs.uid, runAs.gid);
        },
      });
      supervisorRef.current = supervisor;
      flows.attachRuntime(supervisor);
      try {
        await supervisor.start();
      } catch (error) {
        // The gateway dispatches without Node-RED; the supervisor keeps restarting it.
        logger.error(`Node-RED did not start: ${(error as Error).message}`);
      }
    },
    async stop() {
      await supervisorRef.current?.stop();
    },
  };
}

/** The Node-RED user: `nobody` (or the site's choice) when the gateway runs as root; otherwise the gateway's own. */
function chooseUser(site: NodeRedSiteConfig, logger: Logger): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) {
    if (site.user)
      throw new ConfigError([`site.nodeRed.user: the gateway must run as root to start Node-RED as ${site.user}`]);
    logger.warn(
      "Node-RED runs as the gateway's own operating-system user (the gateway is not root): keep the database, site file and secrets out of its reach with a separate account, or run it as in docker/",
    );
    return undefined;
  }
  const name = site.user ?? 'nobody';
  const user = lookUpUser(name);
  if (!user) throw new ConfigError([`site.nodeRed.user: there is no operating-system user ${name}`]);
  if (user.uid === 0)
    throw new ConfigError([`site.nodeRed.user: ${name} is root; Node-RED needs an unprivileged user`]);
  const needed = [
    require.resolve('node-red/package.json'),
    require.resolve('node-red-contrib-loopgate/package.json'),
    path.join(__dirname, `red-child${path.extname(__filename)}`),
  ].filter((file) => fs.existsSync(file));
  const blocked = unreadableFor(needed, user.uid, user.gid);
  if (blocked.length)
    throw new ConfigError([
      `site.nodeRed.user: ${name} cannot read ${blocked.join(', ')}; install Loopgate where that user can read it`,
    ]);
  return user;
}

/** The database, the site file and the gateway's secrets: readable by the gateway's user only. */
function protectGatewayFiles(config: LoopgateConfig, separateUser: boolean): void {
  const dataDir = path.resolve(config.dataDir);
  // Another user may pass through the data folder to reach its own directory, but not list it.
  if (separateUser) fs.chmodSync(dataDir, 0o711);
  for (const name of fs.readdirSync(dataDir)) {
    const file = path.join(dataDir, name);
    if (name !== 'node-red' && fs.statSync(file).isFile()) fs.chmodSync(file, 0o600);
  }
  if (config.siteFile) {
    try {
      fs.chmodSync(path.resolve(config.siteFile), 0o600);
    } catch (error) {
      new Logger('NodeRED').warn(`could not make the site file private: ${(error as Error).message}`);
    }
  }
}

function storedSecret(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writePrivate(file, secret);
  return secret;
}

function writePrivate(file: string, text: string): void {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

function chownTree(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  fs.chmodSync(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, uid, gid);
    else fs.lchownSync(full, uid, gid);
  }
}

function flowEnvironment(site: NodeRedSiteConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(site.env ?? {})) {
    if (!FLOW_ENV_NAME.test(name) || typeof value !== 'string')
      throw new ConfigError([`site.nodeRed.env.${name}: names are A-Z, 0-9 and _, values strings`]);
    env[name] = value;
  }
  return env;
}

/** A fresh service token for this run of the gateway; tokens of earlier runs are revoked. */
async function runtimeToken(tokens: ServiceTokensService): Promise<string> {
  for (const old of await tokens.list())
    if (old.name === RUNTIME_TOKEN_NAME && !old.revokedAt && old.createdBy === SYSTEM.id)
      await tokens.revoke(old.id, SYSTEM);
  return (await tokens.create(RUNTIME_TOKEN_NAME, SYSTEM)).token;
}
