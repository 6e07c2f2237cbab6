/**
 * The docker/ files cannot be run here (no Docker engine), so they are checked by reading: the
 * compose files parse and hang together, every path a Dockerfile copies exists, the site files
 * pass the gateway's own configuration checks, and the Node-RED flows point at the load balancer.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../server/src/config/config';
import { COMPOSE_DEMO_PORTS } from '../../server/src/demo/plant-main';
import { parseTargetGovernance } from '../../server/src/gateway/config/target-governance';
import { defaultAdapterFactory } from '../../server/src/gateway/gateway.module';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the palette's packer is a CommonJS script
const { publishedManifest, workspaceFolders } = require('../../nodes/scripts/pack.js') as {
  publishedManifest(palette: unknown, folders: Record<string, string>): { dependencies: Record<string, string> };
  workspaceFolders(): Record<string, string>;
};

const ROOT = path.resolve(__dirname, '..', '..');
const DOCKER = path.join(ROOT, 'docker');

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  depends_on?: Record<string, unknown>;
  environment?: Record<string, string>;
  volumes?: (string | { source: string })[];
  network_mode?: string;
  networks?: string[];
}

function compose(...files: string[]): Record<string, ComposeService> {
  const services: Record<string, ComposeService> = {};
  for (const file of files) {
    const doc = parse(fs.readFileSync(path.join(DOCKER, file), 'utf8'), { merge: true }) as {
      services: Record<string, ComposeService>;
    };
    for (const [name, service] of Object.entries(doc.services)) {
      const base = services[name] ?? {};
      services[name] = {
        ...base,
        ...service,
        environment: { ...base.environment, ...service.environment },
        depends_on: { ...base.depends_on, ...service.depends_on },
        networks: service.networks ?? base.networks,
      };
    }
  }
  return services;
}

describe('docker/ compose files', () => {
  const production = compose('compose.yaml');
  const demo = compose('compose.yaml', 'compose.demo.yaml');

  it('run two gateway replicas on Kafka and PostgreSQL behind one nginx address', () => {
    for (const name of ['gateway-1', 'gateway-2']) {
      expect(production[name].environment).toMatchObject({
        LOOPGATE_BUS: 'kafka',
        LOOPGATE_KAFKA_BROKERS: 'kafka-1:9092,kafka-2:9092,kafka-3:9092',
        LOOPGATE_NODE_RED: 'false',
      });
      expect(production[name].environment?.LOOPGATE_DATABASE_URL).toMatch(
        /^postgres:\/\/loopgate:.*@postgres:5432\/loopgate$/,
      );
    }
    const nginx = fs.readFileSync(path.join(DOCKER, 'nginx', 'gateway.conf'), 'utf8');
    const upstreams = [...nginx.matchAll(/server (gateway-\d):1880/g)].map((m) => m[1]);
    expect(upstreams).toEqual(['gateway-1', 'gateway-2']);
    expect(production.gateway.volumes).toContain('./nginx/gateway.conf:/etc/nginx/conf.d/default.conf:ro');
    expect(production['node-red'].environment?.LOOPGATE_GATEWAY_URL).toBe('http://gateway');
  });

  it('name only services that exist, and only files that exist', () => {
    for (const [services, label] of [
      [production, 'compose.yaml'],
      [demo, 'compose.yaml + compose.demo.yaml'],
    ] as const) {
      for (const [name, service] of Object.entries(services)) {
        for (const dependency of Object.keys(service.depends_on ?? {}))
          expect(services, `${label}: ${name} depends on ${dependency}`).toHaveProperty([dependency]);
        if (service.network_mode?.startsWith('service:'))
          expect(services).toHaveProperty([service.network_mode.slice('service:'.length)]);
        if (service.build)
          expect(
            fs.existsSync(path.join(DOCKER, service.build.context, service.build.dockerfile)),
            `${name} dockerfile`,
          ).toBe(true);
        for (const volume of service.volumes ?? []) {
          const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
          if (source.startsWith('./'))
            expect(fs.existsSync(path.join(DOCKER, source)), `${label}: ${name} mounts ${source}`).toBe(true);
        }
      }
    }
    expect(demo['simulators-proxy'].network_mode).toBe('service:simulators');
  });

  it('forward every simulator port the demo site file uses', () => {
    const proxy = fs.readFileSync(path.join(DOCKER, 'demo', 'simulators-proxy.conf'), 'utf8');
    const forwarded = new Set([...proxy.matchAll(/listen (\d+);/g)].map((m) => Number(m[1])));
    const site = JSON.parse(fs.readFileSync(path.join(DOCKER, 'demo', 'site.json'), 'utf8')) as {
      targets: { connection: Record<string, unknown> }[];
    };
    for (const target of site.targets) {
      const url = new URL(String(target.connection.baseUrl ?? target.connection.endpointUrl));
      expect(url.hostname).toBe('simulators');
      expect(forwarded).toContain(Number(url.port));
    }
    // The container runs the linked plant on the ports plant-main defaults to; the proxy forwards each.
    const script = fs.readFileSync(path.join(DOCKER, 'demo', 'start-simulators.sh'), 'utf8');
    expect(script).toMatch(/^exec node server\/dist\/demo\/plant-main\.js$/m);
    const started = Object.values(COMPOSE_DEMO_PORTS);
    const proxied = [...proxy.matchAll(/proxy_pass 127\.0\.0\.1:(\d+);/g)].map((m) => Number(m[1]));
    expect(proxied.sort()).toEqual(started.sort());
  });
});

/** The networks a service is on: its own, those of the service whose namespace it shares, or compose's default. */
function networksOf(services: Record<string, ComposeService>, name: string): string[] {
  const service = services[name];
  if (service.network_mode?.startsWith('service:'))
    return networksOf(services, service.network_mode.slice('service:'.length));
  return service.networks ?? ['default'];
}

/** Every other service that shares a network with `name`: all it can open a connection to. */
function reachableFrom(services: Record<string, ComposeService>, name: string): string[] {
  const own = new Set(networksOf(services, name));
  return Object.keys(services)
    .filter((other) => other !== name && networksOf(services, other).some((network) => own.has(network)))
    .sort();
}

describe('docker/ networks: no route around the gateway', () => {
  const production = compose('compose.yaml');
  const demo = compose('compose.yaml', 'compose.demo.yaml');

  it('Node-RED reaches the load balancer only: not the database, the brokers or the gateway replicas', () => {
    expect(reachableFrom(production, 'node-red')).toEqual(['gateway']);
    for (const inside of ['postgres', 'kafka-1', 'kafka-2', 'kafka-3'])
      expect(reachableFrom(production, inside), inside).not.toContain('node-red');
    expect(reachableFrom(production, 'gateway-1')).toEqual(expect.arrayContaining(['postgres', 'kafka-1', 'gateway']));
    // Only nginx connects to the replicas, so they may trust the client address it forwards.
    expect(reachableFrom(production, 'gateway-1').filter((s) => !/^(gateway|kafka-\d|postgres)/.test(s))).toEqual([]);
    expect(production['gateway-1'].environment?.LOOPGATE_TRUST_PROXY).toBe('1');
  });

  it('in the demo, Node-RED reaches the load balancer and the one OPC UA port, never the MES simulators', () => {
    expect(reachableFrom(demo, 'node-red')).toEqual(['deploy-rules', 'gateway', 'opcua-inputs']);
    expect(reachableFrom(demo, 'simulators')).not.toContain('node-red');
    expect(demo['node-red'].environment).toMatchObject({ LOOPGATE_OPCUA_HOST: 'opcua-inputs' });
    const forwarded = fs.readFileSync(path.join(DOCKER, 'demo', 'opcua-inputs.conf'), 'utf8');
    const servers = [...forwarded.matchAll(/server \{ listen (\d+); proxy_pass ([\w.-]+):(\d+); \}/g)].map((m) =>
      m.slice(1),
    );
    expect(servers).toEqual([['24840', 'simulators', '24840']]);
    expect(demo['node-red'].environment?.LOOPGATE_OPCUA_PORT).toBe('24840');
  });
});

describe('docker/ Dockerfiles', () => {
  it.each(['gateway.Dockerfile', 'node-red.Dockerfile'])(
    '%s copies only paths that exist in the repository',
    (file) => {
      const text = fs.readFileSync(path.join(DOCKER, file), 'utf8');
      const sources = [...text.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
      expect(sources.length).toBeGreaterThan(5);
      for (const source of sources) expect(fs.existsSync(path.join(ROOT, source)), source).toBe(true);
      expect(fs.existsSync(path.join(DOCKER, `${file}.dockerignore`))).toBe(true);
    },
  );

  it('installs from locks only: npm ci, and the palette tarball offline on top of the locked runtime', () => {
    for (const file of ['gateway.Dockerfile', 'node-red.Dockerfile']) {
      const text = fs.readFileSync(path.join(DOCKER, file), 'utf8');
      const installs = [...text.matchAll(/npm (install|i)\b[^\n]*/g)].map((m) => m[0]);
      // The one `npm install` left adds the packed palette offline: nothing from the registry.
      expect(
        installs.every((line) => line.includes('--offline') && line.includes('.tgz')),
        `${file}: ${installs}`,
      ).toBe(true);
      expect(text).toMatch(/npm ci /);
    }
  });

  it("the Node-RED image's locked runtime holds exactly the palette's registry dependencies, Node-RED and the OPC UA nodes", () => {
    const runtime = JSON.parse(fs.readFileSync(path.join(DOCKER, 'node-red', 'runtime', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const palette = JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'package.json'), 'utf8'));
    const published = publishedManifest(palette, workspaceFolders()).dependencies as Record<string, string>;
    const registry = Object.fromEntries(Object.entries(published).filter(([name]) => !name.startsWith('@loopgate/')));
    const { 'node-red': nodeRed, 'node-red-contrib-opcua': opcua, ...rest } = runtime.dependencies;
    expect(rest).toEqual(registry);
    expect([nodeRed, opcua]).toEqual([expect.stringMatching(/^5\./), expect.stringMatching(/^0\.2\./)]);
  });

  it('the gateway image starts what package.json starts', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe('node server/dist/main.js');
    expect(fs.readFileSync(path.join(DOCKER, 'gateway.Dockerfile'), 'utf8')).toContain(
      'CMD ["node", "server/dist/main.js"]',
    );
  });
});

describe('docker/ site files', () => {
  it.each(['demo/site.json', 'site.example.json', 'site.empty.json'])(
    '%s passes the gateway configuration checks',
    (file) => {
      const env = {
        LOOPGATE_SITE_FILE: path.join(DOCKER, file),
        LOOPGATE_SIM_SECRET: 'demo-secret-0123456789',
        LOOPGATE_OPCENTER_SECRET: 'x',
      };
      const config = loadConfig(env);
      config.site.targets.forEach((target, index) => {
        parseTargetGovernance(target, index);
        // Through the gateway's own factory, so the site file's `{ env }` secrets are resolved as at start.
        expect(() => defaultAdapterFactory(target, env)).not.toThrow();
      });
    },
  );
});

describe('docker/node-red/build-flows.js', () => {
  it('points every flow at the load balancer and at targets the demo site configures', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-flows-')), 'flows.json');
    execFileSync(process.execPath, [path.join(DOCKER, 'node-red', 'build-flows.js'), path.join(ROOT, 'flows'), out]);
    const nodes = JSON.parse(fs.readFileSync(out, 'utf8')) as { type: string; url?: string; instance?: string }[];
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    const gateways = nodes.filter((n) => n.type === 'loopgate-gateway');
    expect(gateways.length).toBeGreaterThan(0);
    for (const node of gateways) expect(node.url).toBe('${LOOPGATE_GATEWAY_URL}');
    expect(JSON.stringify(nodes)).not.toMatch(/opc\.tcp:\/\/127\.0\.0\.1:\\"/);
    const site = JSON.parse(fs.readFileSync(path.join(DOCKER, 'demo', 'site.json'), 'utf8')) as {
      targets: { instance: string }[];
    };
    const configured = new Set(site.targets.map((t) => t.instance));
    for (const node of nodes.filter((n) => n.instance))
      expect(configured, `${node.type} → ${node.instance}`).toContain(node.instance);
  });
});
