/**
 * The docker/ topology run for real (`npm run test:compose`, not part of `npm test`): the images
 * from docker/build-images.sh, the demo stack of compose.yaml + compose.demo.yaml brought up with
 * docker-compose, the demo flow (Node-RED → rule → gateway through nginx → Opcenter simulator)
 * to an applied, audited hold, then a burst of write-backs through nginx during which one gateway
 * container is killed (SIGKILL) and started again. Every command must end applied, once each and
 * in accepted order at the simulator, and the audit chain must verify. Everything the run made
 * (containers, networks, volumes, dangling images) is removed at the end.
 */
import { TERMINAL_COMMAND_STATES, type AuditRecord, type WriteBackRequest } from '@loopgate/contracts';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../server/src/demo/api-client';
import { DEMO_PASSWORD, DEMO_USERS } from '../../server/src/demo/demo-site';
import { publishRuleSets } from '../../server/src/demo/rule-sets';
import { freePort } from '../../server/src/demo/stack';
import { orderingKeyOf } from '../../server/src/gateway/bus/command-bus';
import { partitionForKey } from '../../server/src/gateway/bus/kafka';
import type { LedgerEntry } from '../../server/src/targets/sim-kit';
import { ADMIN_PASSWORD, GatewayApi, TOKEN } from '../scale/support/gateway-processes';
import { ComposeProject, DOCKER_DIR, ROOT, waitFor } from './support/compose-project';

const run = promisify(execFile);

const BURST = 160;
const OBJECTS = ['CNC-01/OP20', 'CNC-02/OP20'];
const PARAMETERS = ['FeedRate', 'SpindleSpeed'];
const PARTITIONS = 12;
const GROUP_ID = 'loopgate-gateway';
/** The simulators-proxy port of the Opcenter simulator (docker/demo/simulators-proxy.conf). */
const OPCENTER_PORT = 28801;

/** An instance name whose four keys land on four different partitions, so the two replicas most likely share them. */
function instanceSpreadOverBothReplicas(): string {
  for (let n = 0; ; n++) {
    const instance = `opcenter-compose-${n}`;
    const partitions = OBJECTS.flatMap((o) =>
      PARAMETERS.map((p) => partitionForKey(orderingKeyOf(instance, 'recipe-parameter', o, p), PARTITIONS)),
    );
    if (new Set(partitions).size === partitions.length) return instance;
  }
}

const INSTANCE = instanceSpreadOverBothReplicas();
const KEYS = OBJECTS.flatMap((object) =>
  PARAMETERS.map((parameter) => ({
    object,
    parameter,
    key: orderingKeyOf(INSTANCE, 'recipe-parameter', object, parameter),
  })),
);

function request(i: number): WriteBackRequest {
  const key = KEYS[i % KEYS.length];
  return {
    requestId: `compose-failover-${i}`,
    lineage: { inferenceId: `inf-compose-${i}`, modelId: 'wear-v3' },
    target: { kind: 'opcenter', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: key.object },
    action: 'set-parameter',
    parameter: key.parameter,
    // Distinct per command, so a read shows whose write landed.
    value: 3000 + i,
    reason: 'compose failover test',
    notAfter: new Date(Date.now() + 600_000).toISOString(),
    initiator: 'ai',
  };
}

interface GroupMember {
  clientId: string;
  partitions: number[];
}

/** What each phase measured; printed at the end for the closing note. */
const figures: Record<string, unknown> = {};
const runStartedAt = new Date();
let project: ComposeProject;
let dir: string;
let api: GatewayApi;
let gatewayUrl: string;
let nodeRedUrl: string;
let simulatorUrl: string;
let up = false;

async function ledger(): Promise<LedgerEntry[]> {
  const response = await fetch(`${simulatorUrl}/__admin/ledger`);
  if (!response.ok) throw new Error(`simulator ledger: ${response.status}`);
  return ((await response.json()) as { entries: LedgerEntry[] }).entries;
}

async function containerOf(service: string): Promise<string> {
  const id = (await project.containers()).get(service);
  if (!id) throw new Error(`no container for ${service}`);
  return id;
}

/** The gateways' consumer group as Kafka reports it, asked from inside a gateway container (kafka-N resolve there). */
async function describeGroup(from: string): Promise<{ state: string; members: GroupMember[] }> {
  const script = `
const { Kafka, AssignerProtocol, logLevel } = require('kafkajs');
(async () => {
  const admin = new Kafka({ clientId: 'compose-test', brokers: process.env.LOOPGATE_KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const group = (await admin.describeGroups([${JSON.stringify(GROUP_ID)}])).groups[0];
  const members = group.members.map((m) => ({ clientId: m.clientId,
    partitions: Object.values(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).flat() }));
  console.log(JSON.stringify({ state: group.state, members }));
  await admin.disconnect();
})().catch((e) => { console.error(e.message); process.exit(1); });`;
  return JSON.parse(await project.docker(['exec', from, 'node', '-e', script], 60_000)) as {
    state: string;
    members: GroupMember[];
  };
}

/** Waits until the group is stable with both replicas each owning partitions; returns partitions by container hostname. */
async function stableGroup(from: string, hostnames: string[], timeoutMs: number): Promise<Map<string, number[]>> {
  let last = '';
  return waitFor(
    async () => {
      const group = await describeGroup(from).catch((error: Error) => ({ state: error.message, members: [] }));
      last = JSON.stringify(group);
      if (group.state !== 'Stable' || group.members.length !== hostnames.length) return undefined;
      const owned = new Map<string, number[]>();
      for (const host of hostnames) {
        const member = group.members.find((m) => m.clientId.startsWith(`loopgate-${host}-`));
        if (!member || member.partitions.length === 0) return undefined;
        owned.set(host, member.partitions);
      }
      return owned;
    },
    timeoutMs,
    () => `consumer group ${GROUP_ID}: ${last}`,
    1000,
  );
}

/** Submits through nginx; a 502/503/504 or a dropped connection is retried with the same requestId (idempotent). */
async function submit(body: WriteBackRequest, retries: { count: number }): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const status = await api.submit(body).catch(() => 0);
    if (![0, 502, 503, 504].includes(status) || attempt >= 30) return status;
    retries.count++;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function waitHealthy(services: string[], timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const containers = await project.containers();
      for (const service of services) {
        const id = containers.get(service);
        if (!id) return undefined;
        const state = await project.state(id);
        if (!state.running || (state.health !== undefined && state.health !== 'healthy')) return undefined;
      }
      return true;
    },
    timeoutMs,
    async () => {
      const containers = await project.containers();
      const states = await Promise.all(
        services.map(async (s) => {
          const id = containers.get(s);
          return `${s}: ${id ? JSON.stringify(await project.state(id)) : 'no container'}`;
        }),
      );
      return `${states.join('\n')}\n${await project.logs(services, 30)}`;
    },
    2000,
  );
}

beforeAll(async () => {
  await run('docker', ['info'], { timeout: 30_000 }).catch((error: Error) => {
    throw new Error(`no Docker engine answers: ${error.message}`);
  });

  // Builds what is missing; LOOPGATE_COMPOSE_REBUILD=1 rebuilds the gateway and Node-RED images from this tree.
  const buildStarted = Date.now();
  await run(
    path.join(DOCKER_DIR, 'build-images.sh'),
    process.env.LOOPGATE_COMPOSE_REBUILD === '1' ? ['--rebuild'] : [],
    {
      cwd: ROOT,
      timeout: 1_800_000,
      maxBuffer: 64 << 20,
    },
  );
  figures.buildSeconds = Math.round((Date.now() - buildStarted) / 1000);

  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-compose-'));
  fs.chmodSync(dir, 0o755);
  const site = JSON.parse(fs.readFileSync(path.join(DOCKER_DIR, 'demo', 'site.json'), 'utf8')) as {
    targets: { instance: string; connection: Record<string, unknown> }[];
  };
  const opcenter = site.targets.find((t) => t.instance === 'opcenter-demo');
  if (!opcenter) throw new Error('docker/demo/site.json has no opcenter-demo target');
  // The burst's own target on the same Opcenter simulator: no guardrails or approvals in the way,
  // a write rate under the simulator's 20 transactions per second for both replicas together.
  site.targets.push({
    instance: INSTANCE,
    kind: 'opcenter',
    connection: { ...opcenter.connection, requestTimeoutMs: 3000, writesPerSecond: 8, maxConcurrentWrites: 4 },
    guardrails: { retry: { maxAttempts: 10, initialDelayMs: 50, maxDelayMs: 1000 } },
  } as (typeof site.targets)[number]);
  const siteFile = path.join(dir, 'site.json');
  fs.writeFileSync(siteFile, JSON.stringify(site, null, 2), { mode: 0o644 });

  const httpPort = await freePort();
  const nodeRedPort = await freePort();
  const secret = () => randomBytes(18).toString('base64url');
  const envFile = path.join(dir, '.env');
  fs.writeFileSync(
    envFile,
    [
      `POSTGRES_PASSWORD=${secret()}`,
      `LOOPGATE_ADMIN_PASSWORD=${ADMIN_PASSWORD}`,
      `LOOPGATE_SERVICE_TOKEN=${TOKEN}`,
      `LOOPGATE_CREDENTIAL_SECRET=${secret()}`,
      `NODE_RED_CREDENTIAL_SECRET=${secret()}`,
      `LOOPGATE_SIM_SECRET=${secret()}`,
      // Loopback only, on free ports: nothing else on this machine is touched.
      `LOOPGATE_HTTP_PORT=127.0.0.1:${httpPort}`,
      `NODE_RED_HTTP_PORT=127.0.0.1:${nodeRedPort}`,
      'LOOPGATE_LOG_LEVEL=warn',
      `LOOPGATE_TEST_SITE_FILE=${siteFile}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  project = new ComposeProject(`lgtest${randomBytes(3).toString('hex')}`, envFile, {});
  gatewayUrl = `http://127.0.0.1:${httpPort}`;
  nodeRedUrl = `http://127.0.0.1:${nodeRedPort}`;
  api = new GatewayApi(httpPort);

  const upStarted = Date.now();
  up = true;
  try {
    // docker-compose itself waits for each depends_on condition (Kafka and PostgreSQL healthy, then gateway-1, …).
    await project.composeCommand(['up', '-d', '--no-build'], 900_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await project.logs([], 40)}`);
  }
  await waitHealthy(
    [
      'kafka-1',
      'kafka-2',
      'kafka-3',
      'postgres',
      'gateway-1',
      'gateway-2',
      'gateway',
      'simulators',
      'simulators-proxy',
      'opcua-inputs',
      'node-red',
    ],
    600_000,
  );
  await waitFor(
    () =>
      fetch(`${gatewayUrl}/health`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    60_000,
    () => 'nginx does not answer /health',
  );
  figures.healthySeconds = Math.round((Date.now() - upStarted) / 1000);

  const simulators = await project.state(await containerOf('simulators'));
  simulatorUrl = `http://${simulators.ip}:${OPCENTER_PORT}`;
}, 2_400_000);

afterAll(async () => {
  if (up) {
    try {
      await project.down();
    } finally {
      // Dangling layers of earlier builds (the classic builder leaves the replaced ones behind).
      await project
        .docker(['image', 'prune', '--force', '--filter', `until=${runStartedAt.toISOString()}`], 300_000)
        .catch(() => undefined);
    }
    const left = await project.containers();
    expect([...left.keys()], 'containers left behind').toEqual([]);
    const volumes = await project.docker([
      'volume',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${project.name}`,
    ]);
    expect(volumes.trim(), 'volumes left behind').toBe('');
    const networks = await project.docker([
      'network',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${project.name}`,
    ]);
    expect(networks.trim(), 'networks left behind').toBe('');
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`\ncompose topology figures: ${JSON.stringify(figures, null, 2)}\n`);
}, 900_000);

describe('docker/ topology under docker-compose (demo stack, two gateways behind nginx, three Kafka brokers)', () => {
  it('runs the demo flow to an applied, audited hold at the Opcenter simulator, through Node-RED and nginx', async () => {
    const admin = await ApiClient.signIn(gatewayUrl, 'admin', ADMIN_PASSWORD);
    for (const user of DEMO_USERS.filter((u) => u.username.startsWith('engineer')))
      await admin.post('/users', { ...user, roles: [...user.roles], password: DEMO_PASSWORD });
    const engineer = await ApiClient.signIn(gatewayUrl, 'engineer', DEMO_PASSWORD);
    const engineer2 = await ApiClient.signIn(gatewayUrl, 'engineer2', DEMO_PASSWORD);
    // deploy-rules proposed the rule sets as admin (exit 6: waiting for a second person); the two engineers publish them.
    const deploy = await project.state(await containerOf('deploy-rules'));
    expect(deploy.running).toBe(false);
    expect(deploy.exitCode).toBe(6);
    await publishRuleSets(path.join(ROOT, 'rules', 'sets'), engineer, engineer2);

    const inferenceId = `lot-quality-compose-${Date.now()}`;
    // Flow endpoints need a token the gateway accepts, under /flows-http (docker/node-red/settings.js).
    const sent = await fetch(`${nodeRedUrl}/flows-http/ai/lot-quality`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({
        inferenceId,
        modelId: 'lot-scrap-correlation',
        modelVersion: '2.0.0',
        score: 0.91,
        label: 'out-of-spec',
        timestamp: new Date().toISOString(),
        features: { supplier: 'S-17', heat: 'H-88' },
        lotId: 'LOT-4712',
        materialDefinitionId: 'STEEL-42CrMo4',
        lotStatus: 'received',
        quantity: 1250,
        unit: 'kg',
        certificate: { moisturePercent: 0.2 },
        failedChecks: [],
      }),
    });
    expect(sent.status).toBe(202);

    const outcome = await waitFor(
      async () => {
        const all = await api.outcomes();
        const hold = all.find((o) => o.lineage.inferenceId === inferenceId);
        return hold && (TERMINAL_COMMAND_STATES as readonly string[]).includes(hold.state) ? hold : undefined;
      },
      120_000,
      async () =>
        `no terminal outcome for ${inferenceId}\n${await project.logs(['node-red', 'gateway-1', 'gateway-2'], 40)}`,
      1000,
    );
    expect(outcome).toMatchObject({ state: 'applied', action: 'hold-lot', target: { instance: 'opcenter-demo' } });
    expect(outcome.object.id).toBe('LOT-4712');

    const applied = (await ledger()).filter((e) => e.source === 'api' && e.object === 'LOT-4712');
    expect(applied).toHaveLength(1);
    expect(await api.verifyAudit()).toMatchObject({ ok: true });
    const audit = (await api.audit()).filter((r) => r.commandId === outcome.commandId);
    expect(audit.map((r) => r.outcome)).toContain('accepted');
    expect(
      audit.filter((r) => (TERMINAL_COMMAND_STATES as readonly string[]).includes(r.outcome)).map((r) => r.outcome),
    ).toEqual(['applied']);
    figures.demoFlow = { commandId: outcome.commandId, state: outcome.state, auditRecords: audit.length };
  });

  it('applies a burst exactly once and in order while one gateway container is killed and started again', async () => {
    const containers = await project.containers();
    const ids = ['gateway-1', 'gateway-2'].map((s) => containers.get(s) ?? '');
    const [gateway1, gateway2] = await Promise.all(ids.map((id) => project.state(id)));
    const owned = await stableGroup(gateway2.id, [gateway1.hostname, gateway2.hostname], 120_000);
    const keysOf = (host: string) => KEYS.filter((k) => owned.get(host)?.includes(partitionForKey(k.key, PARTITIONS)));
    // The victim is the replica that owns the most keys of the burst (the group's assignor decides
    // which partitions each gets); the survivor takes its partitions over when it dies.
    const [[victimService, victim], [, survivor]] = (
      [
        ['gateway-1', gateway1],
        ['gateway-2', gateway2],
      ] as const
    )
      .slice()
      .sort((a, b) => keysOf(b[1].hostname).length - keysOf(a[1].hostname).length);
    expect(keysOf(victim.hostname).length, `victim partitions ${owned.get(victim.hostname)}`).toBeGreaterThan(0);
    figures.keysOwned = { victim: keysOf(victim.hostname).length, survivor: keysOf(survivor.hostname).length };
    const victimKeys = new Set(keysOf(victim.hostname).map((k) => `${k.object}|${k.parameter}`));

    // 503s before anything is applied, and dropped connections after a command was applied.
    const faults = await fetch(`${simulatorUrl}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 0.03, dropRate: 0.05, latencyMs: 2 }),
    });
    expect(faults.status).toBe(200);

    const ours = (entries: LedgerEntry[]) =>
      entries.filter(
        (e) => e.source === 'api' && KEYS.some((k) => k.object === e.object && k.parameter === e.parameter),
      );
    expect(ours(await ledger())).toEqual([]);
    const appliedOnVictimKeys = async () =>
      ours(await ledger()).filter((e) => victimKeys.has(`${e.object}|${e.parameter}`)).length;

    const retries = { count: 0 };
    const statuses: number[] = [];
    let next = 0;
    let killedAt = -1;
    let killedTime = 0;
    let killing: Promise<void> | undefined;
    const kill = async () => {
      killedAt = await appliedOnVictimKeys();
      killedTime = Date.now();
      await project.docker(['kill', '--signal', 'KILL', victim.id]);
    };
    const burstStarted = Date.now();
    // Four clients send the whole burst through nginx, to both replicas.
    const client = async () => {
      while (next < BURST) {
        statuses.push(await submit(request(next++), retries));
        if (!killing && (await appliedOnVictimKeys()) >= 12) killing = kill();
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    const acceptedSeconds = (Date.now() - burstStarted) / 1000;
    if (!killing) {
      // The burst was accepted faster than the victim applied: kill it while it dispatches.
      await waitFor(
        async () => ((await appliedOnVictimKeys()) >= 12 ? true : undefined),
        120_000,
        () => 'victim applied nothing',
        100,
      );
      killing = kill();
    }
    await killing;
    expect(statuses.filter((s) => s !== 200 && s !== 202)).toEqual([]);
    const dead = await project.state(victim.id);
    figures.killedContainerRestartedByPolicy = dead.running;

    // Started again by hand (the restart policy may already have done it); it rejoins the group.
    await project.docker(['start', victim.id]);
    const restartStarted = Date.now();
    await waitHealthy([victimService], 180_000);
    const restartHealthySeconds = Math.round((Date.now() - restartStarted) / 1000);

    await api.settle(300_000, () => 'the burst did not finish');
    const settledSeconds = (Date.now() - burstStarted) / 1000;
    const outcomes = (await api.outcomes()).filter((o) => o.requestId.startsWith('compose-failover-'));
    expect(outcomes).toHaveLength(BURST);
    expect(new Set(outcomes.map((o) => o.requestId)).size).toBe(BURST);
    expect(
      outcomes.filter((o) => o.state !== 'applied').map((o) => `${o.requestId}: ${o.state} ${o.reasonCode ?? ''}`),
    ).toEqual([]);

    expect(await api.verifyAudit()).toMatchObject({ ok: true });
    const commandIds = new Set(outcomes.map((o) => o.commandId));
    const audit: AuditRecord[] = (await api.audit()).filter((r) => r.commandId && commandIds.has(r.commandId));
    for (const outcome of outcomes) {
      const terminal = audit.filter(
        (r) => r.commandId === outcome.commandId && (TERMINAL_COMMAND_STATES as readonly string[]).includes(r.outcome),
      );
      expect(
        terminal.map((r) => r.outcome),
        outcome.requestId,
      ).toEqual(['applied']);
    }

    const applied = ours(await ledger());
    const perKey: Record<string, number> = {};
    let reordered = 0;
    for (const key of KEYS) {
      const order = applied
        .filter((e) => e.object === key.object && e.parameter === key.parameter)
        .map((e) => e.externalRef);
      const accepted = audit
        .filter((r) => r.outcome === 'accepted' && r.object?.id === key.object && r.parameter === key.parameter)
        .map((r) => r.commandId);
      if (JSON.stringify(order) !== JSON.stringify(accepted)) reordered++;
      expect(order, `${key.object} ${key.parameter}`).toEqual(accepted);
      expect(new Set(order).size).toBe(BURST / KEYS.length);
      perKey[`${key.object} ${key.parameter}`] = order.length;
    }
    const victimKeyTotal = (BURST / KEYS.length) * victimKeys.size;
    // The kill really interrupted the victim: its keys had more to apply, and the survivor did it.
    expect(killedAt).toBeLessThan(victimKeyTotal);
    const rejoined = await stableGroup(survivor.id, [victim.hostname, survivor.hostname], 120_000);

    figures.burst = {
      submitted: BURST,
      accepted: statuses.length,
      acceptedSeconds: Number(acceptedSeconds.toFixed(1)),
      appliedAtSimulator: applied.length,
      applied: outcomes.filter((o) => o.state === 'applied').length,
      lost: BURST - new Set(applied.map((e) => e.externalRef)).size,
      duplicated: applied.length - new Set(applied.map((e) => e.externalRef)).size,
      reorderedKeys: reordered,
      perKey,
      settledSeconds: Number(settledSeconds.toFixed(1)),
      auditVerified: true,
    };
    figures.failover = {
      killed: 'gateway-1',
      victimPartitions: owned.get(victim.hostname),
      survivorPartitions: owned.get(survivor.hostname),
      victimKeys: [...victimKeys],
      victimKeyCommands: victimKeyTotal,
      appliedOnVictimKeysBeforeKill: killedAt,
      appliedOnVictimKeysAfterKill: victimKeyTotal - killedAt,
      killedSecondsIntoBurst: Number(((killedTime - burstStarted) / 1000).toFixed(1)),
      clientRetriesThroughNginx: retries.count,
      restartedHealthySeconds: restartHealthySeconds,
      partitionsAfterRestart: Object.fromEntries(
        [...rejoined].map(([host, partitions]) => [host === victim.hostname ? 'gateway-1' : 'gateway-2', partitions]),
      ),
    };
  });
});
