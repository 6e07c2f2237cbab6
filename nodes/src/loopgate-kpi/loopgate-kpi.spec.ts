import helper from 'node-red-node-test-helper';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import gatewayNode from '../loopgate-gateway/loopgate-gateway';
import { onFakeClock } from '../testing/clock';
import { FakeGateway } from '../testing/fake-gateway';
import { eventually, Inbox, statusLog, tab } from '../testing/flow';
import kpiNode, { kpiReadingOf } from './loopgate-kpi';

const LOAD = 'ns=1;s=CNC_Cell_01.SpindleLoad';

describe('a message as a KPI sample', () => {
  it('takes the KPI from the node or msg.topic, the number from msg.payload and the source time', () => {
    const sourceTimestamp = new Date('2026-12-04T08:00:00.250Z');
    expect(kpiReadingOf({ topic: LOAD, payload: 91.25, statusCode: { value: 0 }, sourceTimestamp }, '')).toEqual({
      ok: true,
      sample: { kpi: LOAD, value: 91.25, at: '2026-12-04T08:00:00.250Z' },
    });
    expect(kpiReadingOf({ topic: LOAD, payload: '88.5' }, 'spindle load')).toEqual({
      ok: true,
      sample: { kpi: 'spindle load', value: 88.5 },
    });
  });

  it('refuses what is not a measurement: no KPI, no number, or a value the source marks Uncertain or Bad', () => {
    expect(kpiReadingOf({ payload: 1 }, '')).toMatchObject({ ok: false, code: 'KPI_MISSING' });
    expect(kpiReadingOf({ topic: LOAD, payload: 'high' }, '')).toMatchObject({ ok: false, code: 'KPI_NOT_A_NUMBER' });
    expect(kpiReadingOf({ topic: LOAD, payload: '' }, '')).toMatchObject({ ok: false, code: 'KPI_NOT_A_NUMBER' });
    expect(kpiReadingOf({ topic: LOAD, payload: 90, statusCode: { value: 0x40920000 } }, '')).toMatchObject({
      ok: false,
      code: 'KPI_QUALITY_NOT_GOOD',
      message: expect.stringContaining('Uncertain'),
    });
    expect(kpiReadingOf({ topic: LOAD, payload: 90, statusCode: 0x80340000 }, '')).toMatchObject({
      ok: false,
      message: expect.stringContaining('Bad'),
    });
  });
});

describe('loopgate-kpi node', () => {
  const gateway = new FakeGateway();
  beforeAll(() => gateway.start());
  afterAll(() => gateway.stop());
  beforeEach(() => gateway.reset());
  afterEach(() => helper.unload());

  async function load(node: Record<string, unknown> = {}) {
    await helper.load(
      [gatewayNode, kpiNode],
      [
        tab(),
        { id: 'gw', type: 'loopgate-gateway', url: gateway.url },
        { id: 'kpi', type: 'loopgate-kpi', z: 'tab1', gateway: 'gw', ...node, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab1' },
        { id: 'catcher', type: 'catch', z: 'tab1', scope: null, wires: [['errors']] },
        { id: 'errors', type: 'helper', z: 'tab1' },
      ],
      { gw: { token: gateway.token } },
    );
    const kpi = helper.getNode('kpi');
    return {
      kpi,
      status: statusLog(kpi),
      out: new Inbox(helper.getNode('out')),
      errors: new Inbox(helper.getNode('errors')),
    };
  }

  it('reports an OPC UA value with its source time and passes the message on unchanged', async () => {
    const { kpi, out, status } = await load();
    const msg = { topic: LOAD, payload: 91.5, statusCode: { value: 0 }, sourceTimestamp: '2026-12-04T08:00:00.000Z' };
    kpi.receive(msg);
    expect(await out.next()).toMatchObject(msg);
    await eventually(() => gateway.kpiSamples.length === 1, 'the sample at the gateway');
    expect(gateway.kpiSamples).toEqual([{ kpi: LOAD, value: 91.5, at: '2026-12-04T08:00:00.000Z' }]);
    expect(gateway.hits).toContain('POST /autonomy/kpi-samples');
    await eventually(() => status.at(-1)?.fill === 'green', 'a green status');
  });

  it('sends at most one sample per interval: the first at once, the newest when the interval ends', async () => {
    const { kpi } = await load({ kpi: 'spindle load', minIntervalSeconds: 1 });
    await onFakeClock(async () => {
      for (const payload of [90, 91, 92]) kpi.receive({ topic: LOAD, payload });
      await eventually(() => gateway.kpiSamples.length === 1, 'the first sample');
      await eventually(() => gateway.kpiSamples.length === 2, 'the newest sample after the interval', 5_000);
    });
    expect(gateway.kpiSamples.map((s) => [s.kpi, s.value])).toEqual([
      ['spindle load', 90],
      ['spindle load', 92],
    ]);
  });

  it('does not report a value the source marks Bad, and says so in its status', async () => {
    const { kpi, out, status } = await load();
    kpi.receive({ topic: LOAD, payload: 0, statusCode: { value: 0x80340000 } });
    await out.next();
    await eventually(() => status.some((s) => s.text === '1 not reported: quality not Good'), 'the status');
    kpi.receive({ topic: LOAD, payload: 90, statusCode: { value: 0 } });
    await eventually(() => gateway.kpiSamples.length === 1, 'the good sample');
    expect(gateway.kpiSamples[0].value).toBe(90);
  });

  it('sends a message without a KPI or a number to Catch with its code', async () => {
    const { kpi, errors } = await load();
    kpi.receive({ payload: 90 });
    expect(await errors.next()).toMatchObject({ error: { message: expect.stringContaining('KPI_MISSING') } });
    kpi.receive({ topic: LOAD, payload: 'high' });
    expect(await errors.next()).toMatchObject({ error: { message: expect.stringContaining('KPI_NOT_A_NUMBER') } });
    expect(gateway.kpiSamples).toEqual([]);
  });

  it('shows a sample the gateway did not take, and warns once per run of failures', async () => {
    const { kpi, status } = await load({ minIntervalSeconds: 0 });
    await gateway.stop();
    try {
      const warnings: unknown[] = [];
      kpi.on('call:warn', (call: { args: unknown[] }) => warnings.push(call.args[0]));
      kpi.receive({ topic: LOAD, payload: 90 });
      kpi.receive({ topic: LOAD, payload: 91 });
      await eventually(
        () => status.filter((s) => s.text === 'not reported: GATEWAY_UNREACHABLE').length === 2,
        'two failures',
      );
      expect(warnings).toHaveLength(1);
    } finally {
      await gateway.start();
    }
  });
});
