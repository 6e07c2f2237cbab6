/**
 * Each example flow (flows/*.flow.json) loaded into the running embedded Node-RED of a full
 * stack — gateway, simulators, published rule sets — until its write-back is applied at the
 * target's simulator. The tool-wear flow runs on its OPC UA subscription; the others are fed
 * through their HTTP inputs as a model service would.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, RuleSetFile, RuleSetVersion, TargetList, WriteBackList } from '@loopgate/contracts';
import { DEFAULT_EVENT_LOG_OUTCOMES } from '../../server/src/config/config';
import type { HttpSimulator } from '../../server/src/targets/sim-kit';
import type { LedgerEntry } from '../../server/src/targets/sim-kit';
import type { CncCellSimulator } from '../../server/src/targets/opcua/simulator';
import { ApiError } from '@loopgate/contracts';
import { ApiClient } from '../../server/src/demo/api-client';
import { eventually, startTestStack, type DemoStack } from '../support/stack';
import { flowFile, REPO } from './support';

let stack: DemoStack;
let service: ApiClient;

/** Publishes a rule set through the two-person rule unless the stack already did. */
async function ensurePublished(file: RuleSetFile, author: ApiClient, approver: ApiClient): Promise<void> {
  try {
    await service.get<RuleSetVersion>(`/rulesets/${file.id}/versions/latest`);
    return;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  const version = await author.post<RuleSetVersion>(`/rulesets/${file.id}/versions`, {
    content: file,
    environment: 'production',
  });
  if (version.status !== 'published') {
    await approver.post(`/rulesets/${file.id}/versions/${version.version}/approve`, {
      password: 'loopgate-demo',
      meaning: 'approved',
    });
  }
}

/** A stack running the given flows (their nodes, as Node-RED's Import → Examples would add them), rule sets published. */
async function startWith(flowIds: string[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-palette-flows-'));
  const combined = path.join(dir, 'flows.json');
  fs.writeFileSync(combined, JSON.stringify(flowIds.flatMap((id) => flowFile(id).nodes)));
  stack = await startTestStack({ flowFile: combined });
  service = new ApiClient(stack.url, stack.serviceToken);
  const author = await stack.signIn('engineer');
  const approver = await stack.signIn('engineer2');
  for (const id of new Set(flowIds.flatMap((f) => flowFile(f).ruleSets ?? []))) {
    const file = JSON.parse(fs.readFileSync(path.join(REPO, 'rules', 'sets', `${id}.json`), 'utf8')) as RuleSetFile;
    await ensurePublished(file, author, approver);
  }
}

/** A Node-RED editor session of the engineer, as the editor's own requests carry it. */
async function editorHeaders(): Promise<Record<string, string>> {
  const token = (await fetch(`${stack.url}/red/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: 'node-red-admin',
      grant_type: 'password',
      scope: '*',
      username: 'engineer',
      password: 'loopgate-demo',
    }),
  }).then((r) => r.json())) as { access_token?: string };
  return { authorization: `Bearer ${token.access_token}` };
}

/** Presses an inject node's button in the editor. */
async function pressInject(nodeId: string): Promise<void> {
  const response = await fetch(`${stack.url}/red/inject/${encodeURIComponent(nodeId)}`, {
    method: 'POST',
    headers: await editorHeaders(),
  });
  expect(response.status).toBe(200);
}

/** Node-RED starts no flow while a node type is missing: say which, instead of timing out. */
async function expectAllNodeTypesLoaded(): Promise<void> {
  const sets = (await fetch(`${stack.url}/red/nodes`, {
    headers: { accept: 'application/json', ...(await editorHeaders()) },
  }).then((r) => r.json())) as { name: string; err?: unknown; types: string[] }[];
  const broken = sets
    .filter((s) => s.err)
    .map((s) => `${s.types.join(', ')}: ${typeof s.err === 'string' ? s.err : JSON.stringify(s.err)}`);
  expect(broken, 'node sets that failed to load (their error is in the Node-RED log)').toEqual([]);
}

function ledger(kind: keyof DemoStack['simulators']): LedgerEntry[] {
  return stack.simulators[kind]!.ledger().filter((e) => e.source === 'api');
}

/**
 * The seed's MES event-log step: every write-back outcome of the target's audit trail reaches the
 * event log of its simulator, in audit order, once each.
 */
async function expectEventLogMirrors(kind: 'opcenter' | 'factorytalk' | 'cmms'): Promise<void> {
  const viewer = await stack.signIn('viewer');
  const targets = await viewer.get<TargetList>('/targets');
  const instance = targets.targets.find((t) => t.kind === kind)!.instance;
  const page = await viewer.get<AuditPage>(`/audit?target=${encodeURIComponent(instance)}&limit=500`);
  const expected = page.records
    .filter((r) => (DEFAULT_EVENT_LOG_OUTCOMES as readonly string[]).includes(r.outcome))
    .map((r) => r.sequence)
    .sort((a, b) => a - b);
  expect(expected.length).toBeGreaterThanOrEqual(2);
  const simulator = stack.simulators[kind] as unknown as HttpSimulator;
  const logged = () =>
    simulator
      .eventLog()
      .filter((e) => e.type.startsWith('loopgate.writeback.') || JSON.stringify(e.data).includes('loopgate.writeback.'))
      .map((e) => e.data.sequence as number);
  const mirrored = await eventually(
    async () => {
      const sequences = logged();
      return expected.every((s) => sequences.includes(s)) ? sequences : undefined;
    },
    30_000,
    250,
  ).catch((error: Error) => {
    throw new Error(
      `${error.message}; ${kind} event log holds ${JSON.stringify(logged())}, audit ${JSON.stringify(expected)}`,
    );
  });
  // Records appended since the audit was read may follow; those read are there in order, once each.
  expect(mirrored.slice(0, expected.length)).toEqual(expected);
  expect(simulator.eventResends()).toBe(0);
}

async function postInference(route: string, body: Record<string, unknown>): Promise<void> {
  // Flow endpoints need a session or a service token, as an AI service posting scores would carry.
  const response = await fetch(`${stack.url}/flows-http${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.serviceToken}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
}

/** The gateway's commands of one flow, for the failure message when nothing reaches a simulator. */
async function commandsOf(flowId: string): Promise<string> {
  const list = await service.get<WriteBackList>('/writebacks?limit=100');
  return JSON.stringify(
    list.outcomes
      .filter((o) => o.lineage.flowId === flowId)
      .map((o) => [o.object.id, o.state, o.reasonCode, o.message]),
  );
}

describe('the demo flow in a running Node-RED', () => {
  beforeAll(() => startWith(['tool-wear-feed-rate']));
  afterAll(() => stack?.close());

  it('tool-wear-feed-rate: a worn tool lowers the FeedRate of CNC_Cell_01/OP20 at the Opcenter simulator', async () => {
    (stack.simulators.opcua as unknown as CncCellSimulator).setToolWear(0.95);
    const applied = await eventually(
      async () => ledger('opcenter').find((e) => e.parameter === 'FeedRate'),
      60_000,
      500,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; commands: ${await commandsOf('tool-wear-feed-rate')}`);
    });
    expect(applied.object).toBe('CNC_Cell_01/OP20');
    expect(applied.value).toBeLessThan(1200);
    const list = await service.get<WriteBackList>('/writebacks?limit=100');
    const command = list.outcomes.find(
      (o) => o.mesTransactionId !== undefined && o.mesTransactionId === applied.transactionId,
    );
    expect(command?.lineage).toMatchObject({
      flowId: 'tool-wear-feed-rate',
      flowVersion: '1',
      nodeId: 'tool-wear-feed-rate.opcenter',
      ruleSetId: 'tool-wear-feed-compensation',
      ruleName: 'reduce-feed-rate-for-tool-wear',
      modelId: 'tool-wear-cnc',
    });
    expect(command?.lineage.inputs).toEqual([
      expect.objectContaining({
        name: 'ns=1;s=CNC_Cell_01.SpindleLoad',
        statusCode: 0,
        sourceTime: expect.any(String),
      }),
    ]);
    await expectEventLogMirrors('opcenter');
  });

  it("refuses the flow's decisions on an Uncertain spindle load and on a sensor clock running 30 s ahead", async () => {
    const cell = stack.simulators.opcua as unknown as CncCellSimulator;
    /** The first outcome of the flow refused with the code, once the sensor reports that way. */
    const refusedWith = (code: string) =>
      eventually(
        async () => {
          const list = await service.get<WriteBackList>('/writebacks?limit=100');
          return list.outcomes.find((o) => o.lineage.flowId === 'tool-wear-feed-rate' && o.reasonCode === code);
        },
        60_000,
        500,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}; commands: ${await commandsOf('tool-wear-feed-rate')}`);
      });

    cell.setSpindleLoadQuality({ status: 'uncertain' });
    const uncertain = await refusedWith('INPUT_UNCERTAIN');
    expect(uncertain.state).toBe('rejected');
    // 0x40000000 and up: the Uncertain severity, as the OPC UA server stamped it.
    expect(uncertain.lineage.inputs?.[0]?.statusCode).toBeGreaterThanOrEqual(0x40000000);
    expect(uncertain.lineage.inputs?.[0]?.statusCode).toBeLessThan(0x80000000);

    cell.setSpindleLoadQuality({ status: 'good', sourceClockOffsetMs: 30_000 });
    const skewed = await refusedWith('CLOCK_SKEW');
    expect(skewed.state).toBe('rejected');
    cell.setSpindleLoadQuality({ status: 'good' });
  });
});

describe('the HTTP-fed example flows in a running Node-RED', () => {
  beforeAll(() => startWith(['bottleneck-rerouting', 'incoming-lot-hold', 'bearing-failure-maintenance']));
  afterAll(() => stack?.close());

  it('loads every node type the flows use (http in included)', async () => {
    await expectAllNodeTypesLoaded();
  });

  it('bottleneck-rerouting (HTTP POST from a model service): the next three work orders move to CELL-C at the FactoryTalk simulator', async () => {
    await postInference('/ai/bottleneck', {
      inferenceId: `bottleneck-it-${Date.now()}`,
      modelId: 'bottleneck-forecast',
      modelVersion: '0.9.1',
      score: 0.86,
      features: { queueDepth: 11, cycleTimeVariance: 18.5, nextWorkOrders: ['WO-2001', 'WO-2002', 'WO-2003'] },
      queueDepth: 11,
      alternateWorkCenter: 'CELL-C',
      alternateCapacity: 4,
      nextWorkOrderId: 'WO-2001',
    });
    const moved = await eventually(
      async () => {
        const entries = ledger('factorytalk').filter((e) => e.value === 'CELL-C');
        return entries.length >= 3 ? entries : undefined;
      },
      60_000,
      500,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; commands: ${await commandsOf('bottleneck-rerouting')}`);
    });
    expect(moved.map((e) => e.object).sort()).toEqual(['WO-2001', 'WO-2002', 'WO-2003']);
    await expectEventLogMirrors('factorytalk');
  });

  it('incoming-lot-hold (sample inject): the suspect lot is on hold at the Opcenter simulator', async () => {
    await pressInject('incoming-lot-hold.sample');
    const hold = await eventually(
      async () => ledger('opcenter').find((e) => e.object === 'LOT-4712'),
      60_000,
      500,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; commands: ${await commandsOf('incoming-lot-hold')}`);
    });
    expect(hold.value).toBe('Hold');
    await expectEventLogMirrors('opcenter');
  });

  it('bearing-failure-maintenance (sample inject): a maintenance work order for the spindle is created at the CMMS simulator', async () => {
    await pressInject('bearing-failure-maintenance.sample');
    const created = await eventually(
      async () => ledger('cmms').find((e) => e.operation.toLowerCase().includes('create')),
      60_000,
      500,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; commands: ${await commandsOf('bearing-failure-maintenance')}`);
    });
    // The CMMS ledger names the new work order; the gateway's command names the asset it is for.
    const list = await service.get<WriteBackList>('/writebacks?limit=100');
    const command = list.outcomes.find(
      (o) => o.lineage.flowId === 'bearing-failure-maintenance' && o.state === 'applied',
    );
    expect(command).toMatchObject({
      object: { type: 'equipment', id: 'SPINDLE-CNC01' },
      action: 'create-maintenance-work-order',
    });
    expect(command?.mesTransactionId).toBe(created.transactionId);
    await expectEventLogMirrors('cmms');
  });
});
