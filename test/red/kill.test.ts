/**
 * `kill -9` of the Node-RED child while the gateway dispatches a burst of write-backs: the gateway
 * keeps accepting and dispatching (every command applied once at the MES, none lost or twice),
 * `/health` shows Node-RED down (degraded, still ready) and then up again, the child comes back
 * as a new process after its backoff, and the flows it ran answer again.
 * The backoff schedule itself is asserted on an injected clock in server/src/red/supervisor.spec.ts.
 */
import { TERMINAL_COMMAND_STATES, type WriteBackList, type WriteBackRequest } from '@loopgate/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointFlow, INSTANCE, startRedGateway, waitFor, type RedGateway } from './support';

const BURST = 80;
const KILL_AFTER = 25;
const KEYS = [
  { object: 'CNC-01/OP20', parameter: 'FeedRate' },
  { object: 'CNC-01/OP20', parameter: 'SpindleSpeed' },
  { object: 'CNC-02/OP20', parameter: 'FeedRate' },
  { object: 'CNC-02/OP20', parameter: 'SpindleSpeed' },
];

let gw: RedGateway;

function request(i: number): WriteBackRequest {
  return {
    requestId: `red-kill-${i}`,
    lineage: { inferenceId: `inf-red-kill-${i}`, modelId: 'wear-v3' },
    target: { kind: 'opcenter', instance: INSTANCE },
    object: { type: 'recipe-parameter', id: KEYS[i % KEYS.length].object },
    action: 'set-parameter',
    parameter: KEYS[i % KEYS.length].parameter,
    value: 3000 + i,
    reason: 'Node-RED kill test',
    notAfter: new Date(Date.now() + 120_000).toISOString(),
    initiator: 'ai',
  };
}

async function submit(i: number): Promise<number> {
  const response = await fetch(`${gw.api}/writebacks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.bootstrapToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(request(i)),
  });
  await response.arrayBuffer();
  return response.status;
}

async function ping(): Promise<Response> {
  return fetch(`${gw.url}/flows-http/ping`, { headers: { authorization: `Bearer ${gw.bootstrapToken}` } });
}

beforeAll(async () => {
  gw = await startRedGateway();
  await gw.waitForNodeRed();
  const flows = endpointFlow('ping', '/ping', 'msg.payload = { pong: true }; return msg;');
  const submitted = await gw.deploy(await gw.engineer('erin'), flows);
  expect(submitted.status).toBe(403);
  expect((await gw.approve(submitted.body.version as number, 'ed')).status).toBe(200);
  await waitFor('the ping endpoint', async () => ((await ping()).status === 200 ? true : undefined));
}, 180_000);

afterAll(async () => gw?.close());

describe('kill -9 of the Node-RED child mid-burst', () => {
  it('loses no write-back, shows the gap in /health, and restarts the child, whose flows answer again', async () => {
    const firstPid = gw.childPid()!;
    expect(firstPid).toBeGreaterThan(0);

    // /health sampled all along: what it said about Node-RED, and the overall status.
    const samples: { at: number; status: string; nodeRed: boolean }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const health = await gw.health().catch(() => undefined);
        if (health) samples.push({ at: Date.now(), status: health.status, nodeRed: health.checks['node-red'].ok });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    })();

    let killedAt = 0;
    const statuses = new Map<number, number>();
    let next = 0;
    const client = async () => {
      while (next < BURST) {
        const i = next++;
        statuses.set(i, await submit(i));
        if (statuses.size === KILL_AFTER && killedAt === 0) {
          killedAt = Date.now();
          process.kill(firstPid, 'SIGKILL');
        }
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    expect(killedAt).toBeGreaterThan(0);
    // Every request was accepted, before, during and after the child's death.
    expect([...statuses.values()].filter((s) => s !== 202)).toEqual([]);

    await gw.waitForNodeRed();
    const upAgainAt = Date.now();
    const secondPid = gw.childPid()!;
    expect(secondPid).toBeGreaterThan(0);
    expect(secondPid).not.toBe(firstPid);
    // /health probes the child on its own schedule: sample until it reports Node-RED back.
    await waitFor('/health to report Node-RED up again', async () =>
      samples.length > 0 && samples[samples.length - 1].at > upAgainAt && samples[samples.length - 1].nodeRed
        ? true
        : undefined,
    );
    sampling = false;
    await sampler;

    const down = samples.filter((s) => s.at >= killedAt && !s.nodeRed);
    expect(down.length).toBeGreaterThan(0);
    // Degraded, never unavailable: the gateway stays ready without Node-RED.
    expect(new Set(down.map((s) => s.status))).toEqual(new Set(['degraded']));
    const lastDown = down[down.length - 1];
    expect(samples.some((s) => s.at > lastDown.at && s.nodeRed)).toBe(true);

    // The flows the child ran are back.
    const answer = await waitFor('the ping endpoint after the restart', async () => {
      const response = await ping();
      return response.status === 200 ? response : undefined;
    });
    expect(await answer.json()).toEqual({ pong: true });
    const flowsBackAt = Date.now();

    const list = await waitFor('every command terminal', async () => {
      const response = await fetch(`${gw.api}/writebacks?limit=500`, {
        headers: { authorization: `Bearer ${gw.bootstrapToken}` },
      });
      const page = (await response.json()) as WriteBackList;
      const mine = page.outcomes.filter((o) => o.requestId.startsWith('red-kill-'));
      return mine.length === BURST && mine.every((o) => TERMINAL_COMMAND_STATES.includes(o.state)) ? mine : undefined;
    });
    expect(list.filter((o) => o.state !== 'applied').map((o) => `${o.requestId}:${o.state}`)).toEqual([]);
    const applied = gw.sim.ledger().filter((e) => e.source === 'api');
    expect(applied).toHaveLength(BURST);
    expect(new Set(applied.map((e) => e.externalRef)).size).toBe(BURST);
    // Some commands were applied while Node-RED was down.
    const duringGap = applied.filter((e) => Date.parse(e.time) >= killedAt && Date.parse(e.time) <= upAgainAt).length;
    expect(duringGap).toBeGreaterThan(0);

    console.log(
      `node-red kill: ${BURST} write-backs, ${applied.length} applied once; killed pid ${firstPid}, ` +
        `health down for ${lastDown.at - down[0].at} ms over ${down.length} samples, ` +
        `up again (pid ${secondPid}) ${upAgainAt - killedAt} ms after the kill, flows answered after ${flowsBackAt - killedAt} ms; ${duringGap} applied between the kill and the restart`,
    );
  });
});
