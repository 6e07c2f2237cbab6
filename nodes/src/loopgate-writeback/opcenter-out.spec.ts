import helper from 'node-red-node-test-helper';
import type { WriteBackOutcome } from '@loopgate/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import gatewayNode from '../loopgate-gateway/loopgate-gateway';
import { FakeGateway } from '../testing/fake-gateway';
import { Inbox, statusLog, tab } from '../testing/flow';
import { describeOutputNode, INFERENCE, RULE } from '../testing/output-node-cases';
import writeBackOutputs from './loopgate-writeback';

const setFeedRate = {
  action: 'set-parameter',
  objectType: 'recipe-parameter',
  objectId: 'CNC_Cell_01/OP20',
  objectIdType: 'str',
  parameter: 'FeedRate',
  parameterType: 'str',
  value: 'payload.feedRate',
  valueType: 'msg',
};
const feedRateMessage = { payload: { feedRate: 1140 }, inference: INFERENCE, rule: RULE };

describeOutputNode('opcenter', writeBackOutputs, {
  config: setFeedRate,
  msg: feedRateMessage,
  expected: {
    action: 'set-parameter',
    object: { type: 'recipe-parameter', id: 'CNC_Cell_01/OP20' },
    parameter: 'FeedRate',
    value: 1140,
  },
  badMsg: { payload: { feedRate: { not: 'a number' } }, inference: INFERENCE, rule: RULE },
  badPath: '$.value',
});

describe('opcenter-out', () => {
  const gateway = new FakeGateway();
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());
  beforeEach(() => gateway.reset());
  afterEach(() => helper.unload());

  async function load(config: Record<string, unknown>) {
    await helper.load(
      [gatewayNode, writeBackOutputs],
      [
        tab(),
        { id: 'gw', type: 'loopgate-gateway', url: gateway.url },
        {
          id: 'out',
          type: 'opcenter-out',
          z: 'tab1',
          gateway: 'gw',
          instance: 'opcenter-demo',
          ttl: 5,
          ...config,
          wires: [['result']],
        },
        { id: 'result', type: 'helper', z: 'tab1' },
        { id: 'catcher', type: 'catch', z: 'tab1', scope: null, uncaught: false, wires: [['errors']] },
        { id: 'errors', type: 'helper', z: 'tab1' },
      ],
      { gw: { token: gateway.token } },
    );
    const out = helper.getNode('out');
    return {
      out,
      status: statusLog(out),
      results: new Inbox(helper.getNode('result')),
      errors: new Inbox(helper.getNode('errors')),
    };
  }

  it("lists the gateway's instances of its kind for the editor's Target list, through the admin endpoint", async () => {
    await load(setFeedRate);
    const list = await helper.request().get('/loopgate/gateways/gw/targets?kind=opcenter');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      { instance: 'opcenter-demo', kind: 'opcenter' },
      { instance: 'opcenter-line2', kind: 'opcenter' },
    ]);
    expect((await helper.request().get('/loopgate/gateways/nope/targets')).status).toBe(409);
    gateway.targets = [];
    expect((await helper.request().get('/loopgate/gateways/gw/targets?kind=opcenter')).body).toEqual([]);
  });

  it("sends the rule node's inputs as the request's lineage.inputs", async () => {
    const { out, results } = await load(setFeedRate);
    const inputs = [{ name: 'ns=1;s=CNC_Cell_01.SpindleLoad', sourceTime: '2026-12-03T08:00:00.120Z', statusCode: 0 }];
    out.receive({ ...structuredClone(feedRateMessage), inputs });
    await results.next();
    expect(gateway.requests[0]?.lineage?.inputs).toEqual(inputs);
  });

  it('shows "waiting for approval" while the gateway holds the command for a signature', async () => {
    gateway.behaviour.initialState = 'pending-approval';
    gateway.behaviour.pollsUntilFinal = 2;
    const { out, status, results } = await load(setFeedRate);
    out.receive(structuredClone(feedRateMessage));
    await results.next();
    expect(status.map((s) => s.text)).toEqual(expect.arrayContaining(['waiting for approval', 'applied: 1140']));
  });

  it('emits a rejection with its reason code and shows it in the status', async () => {
    gateway.behaviour = { ...gateway.behaviour, initialState: 'rejected', reasonCode: 'OUT_OF_BOUNDS' };
    const { out, status, results } = await load(setFeedRate);
    out.receive(structuredClone(feedRateMessage));
    const outcome = (await results.next()).payload as WriteBackOutcome;
    expect(outcome).toMatchObject({ state: 'rejected', reasonCode: 'OUT_OF_BOUNDS' });
    expect(status.at(-1)).toEqual({ fill: 'red', shape: 'ring', text: 'rejected: OUT_OF_BOUNDS' });
  });

  it('backs off a key the gateway refused until it says the key is open again, sending nothing meanwhile', async () => {
    const until = new Date(Date.now() + 60_000).toISOString();
    gateway.behaviour = {
      ...gateway.behaviour,
      initialState: 'rejected',
      reasonCode: 'RATE_LIMITED',
      blockedUntil: until,
    };
    const { out, status, results, errors } = await load(setFeedRate);
    out.receive(structuredClone(feedRateMessage));
    expect((await results.next()).payload).toMatchObject({ state: 'rejected', blockedUntil: until });
    // The next inference for the same key: not sent, a Catch node hears why.
    out.receive({ ...structuredClone(feedRateMessage), inference: { ...INFERENCE, inferenceId: 'inf-next' } });
    const caught = await errors.next();
    expect(caught.writeback).toMatchObject({ error: { code: 'BACKING_OFF', kind: 'refused' } });
    expect(gateway.requests).toHaveLength(1);
    expect(status.at(-1)).toEqual({
      fill: 'yellow',
      shape: 'ring',
      text: `backing off until ${until.slice(11, 19)}: RATE_LIMITED`,
    });
  });

  it('sends the same request id for the same inference, so a replay never writes twice', async () => {
    const { out, results } = await load(setFeedRate);
    out.receive(structuredClone(feedRateMessage));
    const first = (await results.next()).payload as WriteBackOutcome;
    out.receive(structuredClone(feedRateMessage));
    const second = (await results.next()).payload as WriteBackOutcome;
    expect(second.commandId).toBe(first.commandId);
    expect(gateway.requests).toHaveLength(1);
  });

  it('gives each work order of one inference its own request id', async () => {
    const { out, results } = await load({
      action: 'reroute-work-order',
      objectType: 'work-order',
      objectId: 'payload.order',
      objectIdType: 'msg',
      details: { workCenter: { value: 'CELL_C', valueType: 'str' } },
    });
    for (const order of ['WO-1', 'WO-2', 'WO-3']) out.receive({ payload: { order }, inference: INFERENCE, rule: RULE });
    for (let i = 0; i < 3; i++) await results.next();
    expect(new Set(gateway.requests.map((r) => r.requestId)).size).toBe(3);
    expect(gateway.requests.map((r) => r.details)).toEqual([
      { workCenter: 'CELL_C' },
      { workCenter: 'CELL_C' },
      { workCenter: 'CELL_C' },
    ]);
  });

  it('takes the lot from msg.isa95 when no object id is configured', async () => {
    const { out, results } = await load({
      action: 'hold-lot',
      objectType: 'material-lot',
      objectId: '',
      objectIdType: 'str',
    });
    out.receive({
      isa95: { materialLot: { type: 'material-lot', id: 'LOT-4711', equipment: { enterprise: 'Acme', site: 'Graz' } } },
      inference: INFERENCE,
    });
    await results.next();
    expect(gateway.requests[0].object).toEqual({
      type: 'material-lot',
      id: 'LOT-4711',
      equipment: { enterprise: 'Acme', site: 'Graz' },
    });
  });

  it('delivers the request once the gateway recovers from 503s', async () => {
    gateway.behaviour.failNextPosts = 2;
    const { out, status, results } = await load(setFeedRate);
    out.receive(structuredClone(feedRateMessage));
    expect(((await results.next()).payload as WriteBackOutcome).state).toBe('applied');
    expect(status.map((s) => s.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^UNAVAILABLE, retry/)]));
  });

  it("emits the gateway's first answer without polling when asked not to wait", async () => {
    const { out, results } = await load({ ...setFeedRate, waitForOutcome: false });
    out.receive(structuredClone(feedRateMessage));
    expect(((await results.next()).payload as WriteBackOutcome).state).toBe('queued');
    expect(gateway.hits.filter((h) => h.startsWith('GET /writebacks/'))).toHaveLength(0);
  });

  it('reports a refused token as an auth error, without retrying', async () => {
    await helper.load(
      [gatewayNode, writeBackOutputs],
      [
        tab(),
        { id: 'gw', type: 'loopgate-gateway', url: gateway.url },
        { id: 'out', type: 'opcenter-out', z: 'tab1', gateway: 'gw', instance: 'opcenter-demo', ...setFeedRate },
        { id: 'catcher', type: 'catch', z: 'tab1', scope: null, wires: [['errors']] },
        { id: 'errors', type: 'helper', z: 'tab1' },
      ],
      { gw: { token: 'wrong' } },
    );
    const errors = new Inbox(helper.getNode('errors'));
    const posts = gateway.hits.filter((h) => h === 'POST /writebacks').length;
    helper.getNode('out').receive(structuredClone(feedRateMessage));
    const caught = await errors.next();
    expect(caught.writeback).toMatchObject({ error: { code: 'UNAUTHENTICATED', kind: 'auth' } });
    expect(gateway.hits.filter((h) => h === 'POST /writebacks').length).toBe(posts + 1);
  });
});
