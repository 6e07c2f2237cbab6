import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { FlowFile, NodeRedNode, RuleSetFile, WriteBackRequest } from '@loopgate/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import loopgateGateway from './loopgate-gateway/loopgate-gateway';
import isa95Hierarchy from './isa95-hierarchy/isa95-hierarchy';
import isa95Equipment from './isa95-equipment/isa95-equipment';
import isa95MaterialLot from './isa95-material-lot/isa95-material-lot';
import isa95WorkOrder from './isa95-work-order/isa95-work-order';
import isa95RecipeParameter from './isa95-recipe-parameter/isa95-recipe-parameter';
import aiScore from './ai-score/ai-score';
import loopgateRule from './loopgate-rule/loopgate-rule';
import writeBackOutputs from './loopgate-writeback/loopgate-writeback';
import writebackOutcome from './writeback-outcome/writeback-outcome';
import loopgateKpi from './loopgate-kpi/loopgate-kpi';
import loopgateKafkaIn from './loopgate-kafka-in/loopgate-kafka-in';
import { eventually } from './testing/flow';
import { FakeGateway } from './testing/fake-gateway';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { exampleFiles } = require('../scripts/examples.js') as { exampleFiles(): Record<string, unknown[]> };

const repo = path.resolve(__dirname, '..', '..');
const requireCore = createRequire(require.resolve('@node-red/nodes/package.json'));
// The helper loads catch nodes itself, from the runtime under test.
const CORE_NODES = [
  'common/20-inject.js',
  'common/21-debug.js',
  'common/90-comment.js',
  'function/10-function.js',
  'function/10-switch.js',
  'function/15-change.js',
  'network/21-httpin.js',
].map((file) => requireCore(`./core/${file}`) as unknown);
const PALETTE = [
  loopgateGateway,
  isa95Hierarchy,
  isa95Equipment,
  isa95MaterialLot,
  isa95WorkOrder,
  isa95RecipeParameter,
  aiScore,
  loopgateRule,
  writeBackOutputs,
  writebackOutcome,
  loopgateKpi,
  loopgateKafkaIn,
];
const OPC_UA_TYPES = new Set(['OpcUa-Endpoint', 'OpcUa-Client']);

function flowFile(id: string): FlowFile {
  return JSON.parse(fs.readFileSync(path.join(repo, 'flows', `${id}.flow.json`), 'utf8')) as FlowFile;
}

function ruleSet(id: string): RuleSetFile {
  return JSON.parse(fs.readFileSync(path.join(repo, 'rules', 'sets', `${id}.json`), 'utf8')) as RuleSetFile;
}

/** The flow as the palette tests run it: pointed at the fake gateway, OPC UA nodes left out (fed directly instead). */
function runnable(file: FlowFile, gatewayUrl: string): NodeRedNode[] {
  return file.nodes
    .filter((n) => !OPC_UA_TYPES.has(n.type))
    .map((n) => (n.type === 'loopgate-gateway' ? { ...n, url: gatewayUrl } : n))
    .map((n) =>
      Array.isArray(n.wires)
        ? {
            ...n,
            wires: (n.wires as string[][]).map((w) =>
              w.filter((id) => file.nodes.some((m) => m.id === id && !OPC_UA_TYPES.has(m.type))),
            ),
          }
        : n,
    );
}

const FLOW_IDS = ['tool-wear-feed-rate', 'bottleneck-rerouting', 'incoming-lot-hold', 'bearing-failure-maintenance'];

describe('flow files and examples', () => {
  it.each(FLOW_IDS)("%s: the example is the flow file's nodes, and every rule set it names exists", (id) => {
    const file = flowFile(id);
    expect(file).toMatchObject({ schemaVersion: 1, id });
    expect(exampleFiles()[`${id}.json`]).toEqual(file.nodes);
    for (const ruleSetId of file.ruleSets ?? []) expect(ruleSet(ruleSetId).id).toBe(ruleSetId);
    const ruleNodes = file.nodes.filter((n) => n.type === 'loopgate-rule');
    expect(ruleNodes.map((n) => n.ruleSet)).toEqual(file.ruleSets);
    const gateways = file.nodes.filter((n) => n.type === 'loopgate-gateway');
    expect(gateways.map((n) => n.url)).toEqual(['http://127.0.0.1:${LOOPGATE_PORT}']);
    const tab = file.nodes.find((n) => n.type === 'tab');
    expect(tab?.id).toBe(id);
    for (const node of file.nodes) if (node.type !== 'tab') expect(node.z, node.id).toBe(id);
  });

  it('generates one example per flow file, and nothing else', () => {
    const flows = fs.readdirSync(path.join(repo, 'flows')).filter((f) => f.endsWith('.flow.json'));
    expect(Object.keys(exampleFiles()).sort()).toEqual(flows.map((f) => f.replace('.flow.json', '.json')).sort());
  });

  it("subscribes the demo flow to the CNC simulator's spindle load instead of polling", () => {
    const nodes = flowFile('tool-wear-feed-rate').nodes;
    // Node-RED substitutes only whole `${VAR}` values: the tab computes the endpoint, 4840 unless LOOPGATE_OPCUA_PORT says otherwise.
    expect(nodes.find((n) => n.type === 'OpcUa-Endpoint')?.endpoint).toBe('${LOOPGATE_OPCUA_ENDPOINT}');
    const env = (nodes.find((n) => n.type === 'tab')?.env ?? []) as { name: string; type: string; value: string }[];
    expect(env.find((e) => e.name === 'LOOPGATE_OPCUA_ENDPOINT')).toMatchObject({
      type: 'jsonata',
      value: expect.stringContaining('"4840"'),
    });
    expect(nodes.find((n) => n.type === 'OpcUa-Client')?.action).toBe('subscribe');
    expect(nodes.find((n) => n.type === 'inject' && n.topic === 'ns=1;s=CNC_Cell_01.SpindleLoad')?.once).toBe(true);
  });
});

describe('example flows against the rule sets in rules/sets', () => {
  const gateway = new FakeGateway();
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());
  beforeEach(() => gateway.reset());
  afterEach(async () => {
    await helper.unload();
    delete process.env.LOOPGATE_TOKEN;
  });

  async function start(id: string) {
    const file = flowFile(id);
    for (const ruleSetId of file.ruleSets ?? []) gateway.publishRuleSet(ruleSet(ruleSetId), 1);
    // The flows keep no token: like the embedded demo, the gateway nodes take it from LOOPGATE_TOKEN.
    process.env.LOOPGATE_TOKEN = gateway.token;
    await helper.load([...CORE_NODES, ...PALETTE], runnable(file, gateway.url) as unknown as Record<string, unknown>[]);
  }

  function expectLineage(request: WriteBackRequest, flowId: string, ruleSetId: string) {
    expect(request.lineage).toMatchObject({ flowId, flowVersion: '1', ruleSetId, ruleSetVersion: 1 });
    expect(request.lineage.inferenceId).toEqual(expect.any(String));
    expect(request.requestId.startsWith(request.lineage.inferenceId!)).toBe(true);
  }

  it("tool-wear-feed-rate: a worn tool's spindle load becomes a compensated FeedRate write to Opcenter", async () => {
    await start('tool-wear-feed-rate');
    const model = helper.getNode('tool-wear-feed-rate.model');
    const time = Date.parse('2026-03-01T08:00:00.000Z');
    for (let i = 0; i < 5; i++) {
      model.receive({
        topic: 'ns=1;s=CNC_Cell_01.SpindleLoad',
        payload: 89 + i * 0.1,
        statusCode: { value: 0 },
        sourceTimestamp: new Date(time + i * 500),
      });
    }
    await eventually(() => gateway.requests.length === 1, 'the write-back request');
    const request = gateway.requests[0];
    expect(request).toMatchObject({
      target: { kind: 'opcenter', instance: 'opcenter-demo' },
      object: { type: 'recipe-parameter', id: 'CNC_Cell_01/OP20', equipment: { workUnit: 'CNC_Cell_01' } },
      action: 'set-parameter',
      parameter: 'FeedRate',
      value: 1140,
    });
    expectLineage(request, 'tool-wear-feed-rate', 'tool-wear-feed-compensation');
    expect(request.lineage).toMatchObject({ ruleName: 'reduce-feed-rate-for-tool-wear', modelId: 'tool-wear-cnc' });
  });

  it("tool-wear-feed-rate: a new tool's load fires nothing", async () => {
    await start('tool-wear-feed-rate');
    const model = helper.getNode('tool-wear-feed-rate.model');
    for (let i = 0; i < 5; i++)
      model.receive({
        topic: 'ns=1;s=CNC_Cell_01.SpindleLoad',
        payload: 41,
        statusCode: { value: 0 },
        sourceTimestamp: new Date(Date.now() + i),
      });
    await eventually(() => gateway.decisions.length === 1, 'the decision record');
    expect(gateway.decisions[0].firedEvents).toEqual([]);
    expect(gateway.requests).toHaveLength(0);
  });

  it('bottleneck-rerouting: the next three work orders are re-routed to CELL-C in FactoryTalk', async () => {
    await start('bottleneck-rerouting');
    helper.getNode('bottleneck-rerouting.sample').receive({});
    await eventually(() => gateway.requests.length === 3, 'three write-back requests');
    expect(gateway.requests.map((r) => [r.object.id, r.details?.workCenter, r.action, r.target.instance])).toEqual([
      ['WO-2001', 'CELL-C', 'reroute-work-order', 'factorytalk-demo'],
      ['WO-2002', 'CELL-C', 'reroute-work-order', 'factorytalk-demo'],
      ['WO-2003', 'CELL-C', 'reroute-work-order', 'factorytalk-demo'],
    ]);
    expectLineage(gateway.requests[0], 'bottleneck-rerouting', 'bottleneck-rerouting');
  });

  it('incoming-lot-hold: the suspect lot is put on hold in Opcenter', async () => {
    await start('incoming-lot-hold');
    helper.getNode('incoming-lot-hold.sample').receive({});
    await eventually(() => gateway.requests.length === 1, 'the write-back request');
    expect(gateway.requests[0]).toMatchObject({
      target: { kind: 'opcenter', instance: 'opcenter-demo' },
      object: { type: 'material-lot', id: 'LOT-4712', equipment: { enterprise: 'Acme', area: 'Receiving' } },
      action: 'hold-lot',
      reason: 'rule hold-suspect-incoming-lot of incoming-lot-hold v1',
    });
    expectLineage(gateway.requests[0], 'incoming-lot-hold', 'incoming-lot-hold');
  });

  it('bearing-failure-maintenance: a preventive maintenance work order is created in the CMMS', async () => {
    await start('bearing-failure-maintenance');
    helper.getNode('bearing-failure-maintenance.sample').receive({});
    await eventually(() => gateway.requests.length === 1, 'the write-back request');
    expect(gateway.requests[0]).toMatchObject({
      target: { kind: 'cmms', instance: 'cmms-demo' },
      object: { type: 'equipment', id: 'SPINDLE-CNC01' },
      action: 'create-maintenance-work-order',
      details: {
        description: 'Predicted bearing failure: inspect and replace the spindle bearing',
        priority: 1,
        worktype: 'PM',
      },
    });
    expectLineage(gateway.requests[0], 'bearing-failure-maintenance', 'bearing-failure-maintenance');
  });
});
