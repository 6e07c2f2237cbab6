import helper from 'node-red-node-test-helper';
import { afterEach, describe, expect, it } from 'vitest';
import hierarchyNode from '../isa95-hierarchy/isa95-hierarchy';
import { B2MML_NS, fromB2mmlDocument, toB2mmlDocument } from '../lib/b2mml';
import type { Isa95WorkOrder } from '../lib/isa95';
import { Inbox } from '../testing/flow';
import workOrderNode from './isa95-work-order';
import { workOrderModel } from './work-order-model';

async function load(node: Record<string, unknown>) {
  await helper.load(
    [hierarchyNode, workOrderNode],
    [
      { id: 'h', type: 'isa95-hierarchy', enterprise: 'Acme', site: 'Graz', area: 'Machining', workCenter: 'Cell_B' },
      { id: 'wo', type: 'isa95-work-order', hierarchy: 'h', ...node, wires: [['ok'], ['bad']] },
      { id: 'ok', type: 'helper' },
      { id: 'bad', type: 'helper' },
    ],
  );
  return { wo: helper.getNode('wo'), ok: new Inbox(helper.getNode('ok')), bad: new Inbox(helper.getNode('bad')) };
}

describe('workOrderModel', () => {
  it('round-trips a work order as a B2MML JobOrder', () => {
    const result = workOrderModel.validate({
      id: 'WO-1001',
      workMasterId: 'BRACKET-OP20',
      priority: 2,
      dispatchStatus: 'Ready',
      quantity: 500,
      unit: 'pcs',
      startTime: '2026-03-01T06:00:00Z',
      endTime: '2026-03-01T14:00:00Z',
      workCenter: 'Cell_B',
      parameters: { program: 'O2020' },
    });
    const order = (result as { value: Isa95WorkOrder }).value;
    const xml = toB2mmlDocument('JobOrder', workOrderModel.toB2mml(order));
    expect(xml).toContain('<MaterialUse>Produced</MaterialUse>');
    expect(xml).toContain('<EquipmentID>Cell_B</EquipmentID>');
    const parsed = fromB2mmlDocument(xml, 'JobOrder') as { value: Record<string, unknown> };
    expect(workOrderModel.validate(workOrderModel.fromB2mml(parsed.value))).toEqual({ success: true, value: order });
  });

  it('rejects an end before the start and a fractional priority', () => {
    const result = workOrderModel.validate({
      id: 'WO',
      priority: 1.5,
      startTime: '2026-03-01T14:00:00Z',
      endTime: '2026-03-01T06:00:00Z',
    });
    expect((result as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['$.endTime', '$.priority']);
  });
});

describe('isa95-work-order node', () => {
  afterEach(() => helper.unload());

  it('maps a queue entry to msg.isa95.workOrder with the hierarchy work center', async () => {
    const { wo, ok } = await load({
      objectId: 'payload.order',
      objectIdType: 'msg',
      priority: 'payload.priority',
      priorityType: 'msg',
    });
    wo.receive({ payload: { order: 'WO-1002', priority: 3 } });
    const order = ((await ok.next()).isa95 as { workOrder: Isa95WorkOrder }).workOrder;
    expect(order).toMatchObject({ type: 'work-order', id: 'WO-1002', priority: 3, workCenter: 'Cell_B' });
  });

  it('reads a JobOrder document', async () => {
    const { wo, ok } = await load({ mode: 'b2mml' });
    wo.receive({ payload: `<JobOrder xmlns="${B2MML_NS}"><ID>WO-7</ID><Priority>1</Priority></JobOrder>` });
    expect(((await ok.next()).isa95 as { workOrder: Isa95WorkOrder }).workOrder).toMatchObject({
      id: 'WO-7',
      priority: 1,
    });
  });

  it('sends an unparseable start time to the error output', async () => {
    const { wo, bad } = await load({
      objectId: 'WO-1',
      objectIdType: 'str',
      startTime: 'payload',
      startTimeType: 'msg',
    });
    wo.receive({ payload: 'next tuesday' });
    const error = (await bad.next()).error as { issues: { code: string; path: string }[] };
    expect(error.issues[0]).toMatchObject({ code: 'INVALID_DATE', path: '$.startTime' });
  });

  it('routes messages to the error output while its hierarchy configuration is invalid', async () => {
    await helper.load(
      [hierarchyNode, workOrderNode],
      [
        { id: 'h', type: 'isa95-hierarchy', enterprise: 'Acme', workUnit: 'Cell_B/1' },
        {
          id: 'wo',
          type: 'isa95-work-order',
          hierarchy: 'h',
          objectId: 'WO-1',
          objectIdType: 'str',
          wires: [['ok'], ['bad']],
        },
        { id: 'ok', type: 'helper' },
        { id: 'bad', type: 'helper' },
      ],
    );
    const bad = new Inbox(helper.getNode('bad'));
    helper.getNode('wo').receive({ payload: {} });
    const error = (await bad.next()).error as { code: string; message: string };
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('$.workUnit must not contain "/"');
  });
});
