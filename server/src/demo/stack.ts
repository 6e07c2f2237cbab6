import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { answer, ApiError, type TargetKind } from '@loopgate/contracts';
import { startGateway, type Gateway } from '../app';
import { loadConfig, type LoopgateConfig } from '../config/config';
import type { RunningSimulator } from '../targets/sim-kit';
import { targetDefinition } from '../targets/registry';
import { ApiClient } from './api-client';
import { DEMO_PASSWORD, DEMO_USERS, readDemoAutonomy, readDemoSite } from './demo-site';
import { startDemoPlant } from './plant';
import { publishRuleSets } from './rule-sets';
import { freePort } from '../common/free-port';

/** The repository root, found from this file in `server/dist/demo` or `server/src/demo`. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface DemoStackOptions {
  /** Gateway port; 0 picks a free one. Default 1880. */
  port?: number;
  /** OPC UA CNC cell simulator port. Default 4840 (the demo flow subscribes there). */
  opcuaPort?: number;
  /** Ports of the other simulators by target kind; 0 or absent picks a free one. */
  simulatorPorts?: Partial<Record<TargetKind, number>>;
  dataDir?: string;
  /** Start from an empty database and Node-RED directory. */
  fresh?: boolean;
  /** Flow file to run in the embedded Node-RED; `null` runs none. Default: the tool-wear demo flow. */
  flowFile?: string | null;
  logLevel?: LoopgateConfig['logLevel'];
  /** The site's earned-autonomy section; default the demo site file's; `null` configures none. */
  autonomy?: Record<string, unknown> | null;
  /** Guardrail settings laid over every target's from the demo site file (tests that share keys between cases). */
  guardrails?: Record<string, unknown>;
}

export interface DemoStack {
  gateway: Gateway;
  url: string;
  simulators: Partial<Record<TargetKind, RunningSimulator>>;
  /** Instance name of each kind's demo target, e.g. `opcenter-demo`. */
  instances: Partial<Record<TargetKind, string>>;
  adminPassword: string;
  /** A service token for clients of the demo (the Node-RED process gets its own, least-privilege one). */
  serviceToken: string;
  signIn(username: string, password?: string): Promise<ApiClient>;
  close(): Promise<void>;
}

export const DEMO_FLOW_FILE = path.join(REPO_ROOT, 'flows', 'tool-wear-feed-rate.flow.json');
export const RULE_SETS_DIR = path.join(REPO_ROOT, 'rules', 'sets');
/** The demo site (targets, guardrails, approvals), shared with the compose demo and CI's `loopgate validate`. */
export const DEMO_SITE_FILE = path.join(REPO_ROOT, 'docker', 'demo', 'site.json');

/**
 * Starts the whole demo in one process: a simulator for each target of the demo site file (the
 * OPC UA CNC cell on its well-known port), that site file pointed at them with its guardrails and
 * approval rules, the gateway with Node-RED running the demo flow, demo users, and the published
 * rule sets.
 */
export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const dataDir = path.resolve(options.dataDir ?? path.join(REPO_ROOT, 'data', 'demo'));
  if (options.fresh) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });

  const instances: Partial<Record<TargetKind, string>> = {};
  const targets: Record<string, unknown>[] = [];
  const opened: { close(): Promise<void> }[] = [];
  // A new tool wears out in minutes rather than hours, so the demo shows a compensation within a minute.
  process.env.LOOPGATE_CNC_WEAR_PER_SECOND ??= '0.04';
  try {
    const site = readDemoSite(DEMO_SITE_FILE);
    const plant = await startDemoPlant(
      site.map((target) => target.kind),
      {
        ports: { ...options.simulatorPorts, opcua: options.opcuaPort ?? 4840 },
      },
    );
    opened.push(plant);
    const { simulators } = plant;
    for (const target of site) {
      const sim = simulators[target.kind]!;
      instances[target.kind] = target.instance;
      // The file's connection points at the compose demo's simulators; here they run in this process.
      targets.push({
        ...target,
        connection: targetDefinition(target.kind).simulator!.connection(sim),
        ...(options.guardrails ? { guardrails: { ...target.guardrails, ...options.guardrails } } : {}),
      });
    }
    // The site file holds the simulators' credentials: readable by this user only. The Node-RED process
    // sees none of the gateway's environment: the flows' OPC UA port is passed to it here.
    const opcuaPort = String(simulators.opcua?.port ?? options.opcuaPort ?? 4840);
    const siteFile = path.join(dataDir, 'site.json');
    const nodeRed = { env: { LOOPGATE_OPCUA_PORT: opcuaPort } };
    const autonomy = options.autonomy === undefined ? readDemoAutonomy(DEMO_SITE_FILE) : options.autonomy;
    fs.writeFileSync(siteFile, JSON.stringify({ targets, nodeRed, ...(autonomy ? { autonomy } : {}) }, null, 2), {
      mode: 0o600,
    });

    const adminPassword = process.env.LOOPGATE_ADMIN_PASSWORD ?? 'loopgate-admin';
    const serviceToken = `lgs_demo_${randomBytes(18).toString('hex')}`;
    // The flow's gateway URL is substituted from LOOPGATE_PORT when Node-RED starts, so fix it first.
    const port = options.port === 0 ? await freePort() : (options.port ?? 1880);
    process.env.LOOPGATE_PORT = String(port);
    process.env.LOOPGATE_OPCUA_PORT = opcuaPort;
    const flowFile = options.flowFile === undefined ? DEMO_FLOW_FILE : options.flowFile;
    const config = loadConfig(
      {
        ...process.env,
        LOOPGATE_PORT: String(port),
        LOOPGATE_DATA_DIR: dataDir,
        LOOPGATE_SITE_FILE: siteFile,
        LOOPGATE_ADMIN_PASSWORD: adminPassword,
        LOOPGATE_BOOTSTRAP_TOKEN: serviceToken,
        LOOPGATE_LOG_LEVEL: options.logLevel ?? process.env.LOOPGATE_LOG_LEVEL ?? 'warn',
        ...(flowFile ? { LOOPGATE_FLOW_FILE: flowFile } : {}),
      },
      {},
    );
    const gateway = await startGateway(config);
    opened.unshift(gateway);

    const admin = await ApiClient.signIn(gateway.url, 'admin', adminPassword);
    await ensureDemoUsers(admin);
    const engineer = await ApiClient.signIn(gateway.url, 'engineer', DEMO_PASSWORD);
    const engineer2 = await ApiClient.signIn(gateway.url, 'engineer2', DEMO_PASSWORD);
    await publishRuleSets(RULE_SETS_DIR, engineer, engineer2);

    return {
      gateway,
      url: gateway.url,
      simulators,
      instances,
      adminPassword,
      serviceToken,
      signIn: (username, password) =>
        ApiClient.signIn(gateway.url, username, password ?? (username === 'admin' ? adminPassword : DEMO_PASSWORD)),
      async close() {
        await closeAll(opened);
      },
    };
  } catch (error) {
    await closeAll(opened);
    throw error;
  }
}

async function ensureDemoUsers(admin: ApiClient): Promise<void> {
  for (const user of DEMO_USERS) {
    try {
      await answer(admin.api.POST('/users', { body: { ...user, roles: [...user.roles], password: DEMO_PASSWORD } }));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
  }
}

async function closeAll(parts: { close(): Promise<void> }[]): Promise<void> {
  for (const part of parts) {
    try {
      await part.close();
    } catch (error) {
      process.stderr.write(`demo: closing failed: ${(error as Error).message}\n`);
    }
  }
}

export { freePort } from '../common/free-port';
export { DEMO_RECIPE } from './plant';
