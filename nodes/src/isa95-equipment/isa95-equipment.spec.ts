import helper from 'node-red-node-test-helper';
import { afterEach, describe, expect, it } from 'vitest';
import hierarchyNode from '../isa95-hierarchy/isa95-hierarchy';
import { fromB2mmlDocument, toB2mmlDocument } from '../lib/b2mml';
import type { Isa95Equipment } from '../lib/isa95';
import { Inbox } from '../testing/flow';
import { equipmentModel } from './equipment-model';
import equipmentNode from './isa95-equipment';

const hierarchy = {
  id: 'h',
  type: 'isa95-hierarchy',
  enterprise: 'Acme',
  site: 'Graz',
  area: 'Machining',
  workCenter: 'CNC_Line_1',
  equipmentClass: 'CNC-5Axis',
};

async function load(node: Record<string, unknown>, hierarchyId = 'h') {
  await helper.load(
    [hierarchyNode, equipmentNode],
    [
      hierarchy,
      { id: 'eq', type: 'isa95-equipment', hierarchy: hierarchyId, ...node, wires: [['ok'], ['bad']] },
      { id: 'ok', type: 'helper' },
      { id: 'bad', type: 'helper' },
    ],
  );
  return { eq: helper.getNode('eq'), ok: new Inbox(helper.getNode('ok')), bad: new Inbox(helper.getNode('bad')) };
}

describe('equipmentModel', () => {
  it('round-trips equipment with its hierarchy scope and typed properties through B2MML', () => {
    const result = equipmentModel.validate(
      { id: 'CNC_Cell_01', level: 'WorkUnit', properties: { SpindleLoad: 87.5, Running: true, Program: 'O1234' } },
      { enterprise: 'Acme', site: 'Graz', workCenter: undefined, equipmentClass: 'CNC-5Axis' },
    );
    const equipment = (result as { value: Isa95Equipment }).value;
    expect(equipment.equipmentClass).toBe('CNC-5Axis');
    const xml = toB2mmlDocument('Equipment', equipmentModel.toB2mml(equipment));
    expect(xml).toContain('<EquipmentClassID>CNC-5Axis</EquipmentClassID>');
    const parsed = fromB2mmlDocument(xml, 'Equipment') as { value: Record<string, unknown> };
    const again = equipmentModel.validate(equipmentModel.fromB2mml(parsed.value));
    expect(again).toEqual({ success: true, value: { ...equipment, equipment: { enterprise: 'Acme', site: 'Graz' } } });
  });

  it('rejects an equipment level B2MML does not define', () => {
    const result = equipmentModel.validate({ id: 'X', level: 'Galaxy' });
    expect(result.success).toBe(false);
    expect((result as { issues: { code: string; path: string }[] }).issues[0]).toMatchObject({
      code: 'INVALID_ENUM',
      path: '$.level',
    });
  });
});

describe('isa95-equipment node', () => {
  afterEach(() => helper.unload());

  it('maps the equipment id and properties and places it in the hierarchy', async () => {
    const { eq, ok } = await load({
      objectId: 'CNC_Cell_01',
      objectIdType: 'str',
      properties: 'payload',
      propertiesType: 'msg',
    });
    eq.receive({ payload: { SpindleLoad: 91.2 } });
    const equipment = ((await ok.next()).isa95 as { equipment: Isa95Equipment }).equipment;
    expect(equipment).toEqual({
      type: 'equipment',
      id: 'CNC_Cell_01',
      level: 'WorkUnit',
      equipmentClass: 'CNC-5Axis',
      properties: { SpindleLoad: 91.2 },
      equipment: {
        enterprise: 'Acme',
        site: 'Graz',
        area: 'Machining',
        workCenter: 'CNC_Line_1',
        equipmentClass: 'CNC-5Axis',
      },
    });
  });

  it('sends a missing id and a non-object property set to the error output', async () => {
    const { eq, bad } = await load({
      objectId: 'payload.machine',
      objectIdType: 'msg',
      properties: 'payload.props',
      propertiesType: 'msg',
    });
    eq.receive({ payload: { props: [1, 2] } });
    const error = (await bad.next()).error as { issues: { code: string; path: string }[] };
    expect(error.issues).toEqual([
      { code: 'REQUIRED', path: '$.id', message: 'is required' },
      { code: 'TYPE_MISMATCH', path: '$.properties', message: 'must be an object of name → value, got an array' },
    ]);
  });

  it('reports a JSONata mapping that fails to evaluate as an error, not a crash', async () => {
    const { eq, bad } = await load({ objectId: '$$$(', objectIdType: 'jsonata' });
    eq.receive({ payload: {} });
    expect(((await bad.next()).error as { code: string }).code).toBe('EVALUATION_FAILED');
  });

  it('routes messages to the error output when its hierarchy configuration is not deployed', async () => {
    const { eq, bad } = await load({ objectId: 'CNC_Cell_01', objectIdType: 'str' }, 'missing');
    eq.receive({ payload: {} });
    expect(((await bad.next()).error as { message: string }).message).toContain(
      'ISA-95 hierarchy configuration not deployed',
    );
  });
});
