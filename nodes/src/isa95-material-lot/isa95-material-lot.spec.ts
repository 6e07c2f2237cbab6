import helper from 'node-red-node-test-helper';
import { afterEach, describe, expect, it } from 'vitest';
import hierarchyNode from '../isa95-hierarchy/isa95-hierarchy';
import { B2MML_NS, fromB2mmlDocument, toB2mmlDocument } from '../lib/b2mml';
import type { Isa95MaterialLot } from '../lib/isa95';
import { Inbox, statusLog } from '../testing/flow';
import materialLotNode from './isa95-material-lot';
import { materialLotModel } from './material-lot-model';

const hierarchy = { id: 'h', type: 'isa95-hierarchy', enterprise: 'Acme', site: 'Graz', area: 'Receiving' };
const fieldMapping = {
  objectId: 'payload.lot',
  objectIdType: 'msg',
  materialDefinitionId: 'payload.material',
  materialDefinitionIdType: 'msg',
  quantity: 'payload.qty',
  quantityType: 'msg',
  unit: 'kg',
  unitType: 'str',
  lotStatus: 'payload.status',
  lotStatusType: 'msg',
  properties: 'payload.properties',
  propertiesType: 'msg',
};

async function load(node: Record<string, unknown>) {
  await helper.load(
    [hierarchyNode, materialLotNode],
    [
      hierarchy,
      { id: 'lot', type: 'isa95-material-lot', hierarchy: 'h', ...node, wires: [['ok'], ['bad']] },
      { id: 'ok', type: 'helper' },
      { id: 'bad', type: 'helper' },
    ],
  );
  const lot = helper.getNode('lot');
  return { lot, status: statusLog(lot), ok: new Inbox(helper.getNode('ok')), bad: new Inbox(helper.getNode('bad')) };
}

describe('materialLotModel', () => {
  it('round-trips a lot through B2MML V0700 XML', () => {
    const result = materialLotModel.validate(
      {
        id: 'LOT-4711',
        materialDefinitionId: 'STEEL-42CrMo4',
        quantity: 1250.5,
        unit: 'kg',
        status: 'Released',
        properties: { heat: 'H-88', hardness: 31 },
      },
      { enterprise: 'Acme', site: 'Graz' },
    );
    expect(result.success).toBe(true);
    const lot = (result as { value: Isa95MaterialLot }).value;
    const xml = toB2mmlDocument('MaterialLot', materialLotModel.toB2mml(lot));
    expect(xml).toContain(`<MaterialLot xmlns="${B2MML_NS}">`);
    const parsed = fromB2mmlDocument(xml, 'MaterialLot');
    expect(parsed.success).toBe(true);
    const again = materialLotModel.validate(
      materialLotModel.fromB2mml((parsed as { value: Record<string, unknown> }).value),
    );
    expect(again).toEqual({ success: true, value: lot });
  });

  it('requires a unit when a quantity is given', () => {
    const result = materialLotModel.validate({ id: 'L', materialDefinitionId: 'M', quantity: 3 });
    expect(result).toEqual({
      success: false,
      issues: [{ code: 'REQUIRED', path: '$.unit', message: 'is required when a quantity is given' }],
    });
  });

  it('rejects a negative quantity', () => {
    const result = materialLotModel.validate({ id: 'L', materialDefinitionId: 'M', quantity: -1, unit: 'kg' });
    expect(result.success).toBe(false);
    expect((result as { issues: { path: string; code: string }[] }).issues[0]).toMatchObject({
      path: '$.quantity',
      code: 'OUT_OF_RANGE',
    });
  });
});

describe('isa95-material-lot node', () => {
  afterEach(() => helper.unload());

  it('maps message fields to a typed msg.isa95.materialLot and writes B2MML', async () => {
    const { lot, ok } = await load({ ...fieldMapping, b2mmlOutput: 'b2mml' });
    lot.receive({
      payload: {
        lot: 'LOT-4711',
        material: 'STEEL-42CrMo4',
        qty: '1250',
        status: 'Released',
        properties: { heat: 'H-88' },
      },
    });
    const msg = await ok.next();
    expect((msg.isa95 as { materialLot: Isa95MaterialLot }).materialLot).toEqual({
      type: 'material-lot',
      id: 'LOT-4711',
      materialDefinitionId: 'STEEL-42CrMo4',
      quantity: 1250,
      unit: 'kg',
      status: 'Released',
      properties: { heat: 'H-88' },
      equipment: { enterprise: 'Acme', site: 'Graz', area: 'Receiving' },
    });
    expect(msg.b2mml).toContain('<QuantityString>1250</QuantityString>');
    expect(msg.b2mml).toContain('<EquipmentID>Receiving</EquipmentID>');
  });

  it('keeps other objects already in msg.isa95', async () => {
    const { lot, ok } = await load(fieldMapping);
    lot.receive({
      payload: { lot: 'L1', material: 'M' },
      isa95: { equipment: { type: 'equipment', id: 'CNC_Cell_01' } },
    });
    const msg = await ok.next();
    expect(Object.keys(msg.isa95 as object).sort()).toEqual(['equipment', 'materialLot']);
  });

  it('reads a lot from a B2MML SyncMaterialLot message', async () => {
    const { lot, ok } = await load({ mode: 'b2mml', b2mmlInput: 'payload' });
    lot.receive({
      payload: `<?xml version="1.0"?>
        <b2mml:SyncMaterialLot xmlns:b2mml="${B2MML_NS}"><b2mml:DataArea><b2mml:MaterialLot>
          <b2mml:ID>LOT-9</b2mml:ID><b2mml:MaterialDefinitionID>ALU-6082</b2mml:MaterialDefinitionID>
          <b2mml:Quantity><b2mml:QuantityString>40</b2mml:QuantityString><b2mml:UnitOfMeasure>pcs</b2mml:UnitOfMeasure></b2mml:Quantity>
        </b2mml:MaterialLot></b2mml:DataArea></b2mml:SyncMaterialLot>`,
    });
    const msg = await ok.next();
    expect((msg.isa95 as { materialLot: Isa95MaterialLot }).materialLot).toMatchObject({
      id: 'LOT-9',
      materialDefinitionId: 'ALU-6082',
      quantity: 40,
      unit: 'pcs',
    });
  });

  it('sends ill-typed fields to the error output with every bad field named', async () => {
    const { lot, ok, bad, status } = await load(fieldMapping);
    lot.receive({ payload: { lot: '', material: 'M', qty: 'lots', properties: { heat: { nested: true } } } });
    const msg = await bad.next();
    const error = msg.error as { code: string; message: string; issues: { path: string }[] };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues.map((i) => i.path)).toEqual(['$.id', '$.quantity', '$.properties.heat']);
    expect(error.message).toContain('$.quantity: must be a finite number, got "lots"');
    expect(ok.messages).toHaveLength(0);
    expect(status.at(-1)).toMatchObject({ fill: 'yellow', shape: 'ring' });
  });

  it('sends XML outside the B2MML namespace to the error output', async () => {
    const { lot, bad } = await load({ mode: 'b2mml' });
    lot.receive({ payload: '<MaterialLot xmlns="urn:other"><ID>L</ID></MaterialLot>' });
    const msg = await bad.next();
    expect((msg.error as { code: string; message: string }).message).toContain(`must be in namespace ${B2MML_NS}`);
  });

  it('sends malformed XML to the error output', async () => {
    const { lot, bad } = await load({ mode: 'b2mml' });
    lot.receive({ payload: '<MaterialLot xmlns="http://www.mesa.org/xml/B2MML"><ID>L</MaterialLot>' });
    expect(((await bad.next()).error as { code: string }).code).toBe('INVALID_XML');
  });

  it('routes every message to the error output while its hierarchy configuration is invalid', async () => {
    await helper.load(
      [hierarchyNode, materialLotNode],
      [
        { id: 'h', type: 'isa95-hierarchy', enterprise: 'Acme', workCenter: 'CNC' },
        { id: 'lot', type: 'isa95-material-lot', hierarchy: 'h', ...fieldMapping, wires: [['ok'], ['bad']] },
        { id: 'ok', type: 'helper' },
        { id: 'bad', type: 'helper' },
      ],
    );
    const bad = new Inbox(helper.getNode('bad'));
    expect(statusLog(helper.getNode('lot'))[0]).toMatchObject({ fill: 'red' });
    helper.getNode('lot').receive({ payload: { lot: 'L', material: 'M' } });
    const error = (await bad.next()).error as { code: string; message: string };
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toContain('$.site is required because workCenter is set');
  });
});
