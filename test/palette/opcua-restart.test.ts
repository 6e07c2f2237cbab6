/**
 * node-red-contrib-opcua subscribed to the node-opcua CNC cell simulator feeds the palette
 * (the demo flow's subscription, model and ai-score nodes); the simulator restarts mid-test.
 * A subscription that does not come back must not go unnoticed: the ai-score node then shows
 * "source stalled?" and the palette's health report turns not-ok. See nodes/README.md.
 */
import helper from 'node-red-node-test-helper';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeRedNode } from '@loopgate/contracts';
import aiScoreNode from '../../nodes/src/ai-score/ai-score';
import { livenessReport } from '../../nodes/src/lib/liveness';
import { Inbox, statusLog } from '../../nodes/src/testing/flow';
import { startCncCellSimulator, type CncCellSimulator } from '../../server/src/targets/opcua/simulator';
import { freePort } from '../support/ports';
import { coreNodes, flowFile, opcuaNodes, subset } from './support';

/** The simulator's port, chosen once: its restarts come back on the same one, as a real server's would. */
let PORT: number;
const STALE_AFTER_S = 4;
const FLOW = 'tool-wear-feed-rate';

let cell: CncCellSimulator;

beforeAll(async () => {
  PORT = await freePort();
  cell = await startCncCellSimulator({ port: PORT, updateIntervalMs: 100, initialToolWear: 0.5 });
});

afterAll(async () => {
  await helper.unload().catch(() => undefined);
  await cell?.close();
});

/** The demo flow from the OPC UA subscription to ai-score, pointed at this test's simulator. */
function subscriptionPart(): NodeRedNode[] {
  const file = flowFile(FLOW);
  const wanted = new Set([
    `${FLOW}.cnc-endpoint`,
    `${FLOW}.subscribe`,
    `${FLOW}.opcua`,
    `${FLOW}.model`,
    `${FLOW}.ai-score`,
  ]);
  const nodes = subset(file.nodes, (n) => n.type === 'tab' || wanted.has(n.id)).map((n) => {
    if (n.type === 'OpcUa-Endpoint') return { ...n, endpoint: `opc.tcp://127.0.0.1:${PORT}` };
    if (n.type === 'ai-score') return { ...n, staleAfter: STALE_AFTER_S, wires: [['inferences'], ['rejected']] };
    return n;
  });
  return [...nodes, { id: 'inferences', type: 'helper', z: FLOW }, { id: 'rejected', type: 'helper', z: FLOW }];
}

async function loadSubscription() {
  await helper.load(
    [...coreNodes(), ...opcuaNodes(), aiScoreNode],
    subscriptionPart() as unknown as Record<string, unknown>[],
  );
  return {
    inferences: new Inbox(helper.getNode('inferences')),
    scoreStatus: statusLog(helper.getNode(`${FLOW}.ai-score`)),
    clientStatus: statusLog(helper.getNode(`${FLOW}.opcua`)),
  };
}

/** The next inference computed from a sample taken after `since` (older ones still in flight are skipped). */
async function inferenceAfter(inbox: Inbox, since: number, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const next = await inbox.next(Math.max(1, deadline - Date.now()));
    if (Date.parse((next.inference as { timestamp: string }).timestamp) > since) return next;
  }
}

const STALLED = { fill: 'yellow', shape: 'ring', text: `no input for ${STALE_AFTER_S} s: source stalled?` };

describe('OPC UA subscription across simulator restarts', () => {
  afterEach(() => helper.unload());

  it('resumes after the server restarts, and reports the gap while it lasts', async () => {
    const { inferences, scoreStatus, clientStatus } = await loadSubscription();
    const first = await inferences.next(45_000);
    expect(first.inference).toMatchObject({ modelId: 'tool-wear-cnc' });

    await cell.restart(STALE_AFTER_S * 1000 + 1_000);
    const restartedAt = Date.now();
    const resumed = await inferenceAfter(inferences, restartedAt, 60_000);
    console.info(
      `[opcua-restart] subscription resumed ${Date.now() - restartedAt} ms after the restart; client: ${clientStatus.map((s) => s.text).join(' → ')}`,
    );
    expect(resumed.inference).toMatchObject({ modelId: 'tool-wear-cnc' });
    expect(scoreStatus).toContainEqual(STALLED);
    expect(livenessReport().nodes.find((n) => n.nodeId === `${FLOW}.ai-score`)?.stale).toBe(false);
  });

  it('shows a subscription that delivers nothing in the ai-score status and the health endpoint, until data flows again', async () => {
    const { inferences, scoreStatus } = await loadSubscription();
    await inferences.next(45_000);

    await cell.offline();
    try {
      const down = Date.now();
      while (scoreStatus.at(-1)?.text !== STALLED.text) {
        if (Date.now() - down > (STALE_AFTER_S + 5) * 1000) throw new Error('no stalled status');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(scoreStatus.at(-1)).toEqual(STALLED);
      const health = await helper.request().get('/loopgate/health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        ok: false,
        nodes: [{ nodeId: `${FLOW}.ai-score`, type: 'ai-score', stale: true, flowId: FLOW }],
      });
    } finally {
      await cell.online();
    }
    const backAt = Date.now();
    await inferenceAfter(inferences, backAt, 60_000);
    expect((await helper.request().get('/loopgate/health')).status).toBe(200);
  });
});
