import helper from 'node-red-node-test-helper';
import { afterEach, describe, expect, it } from 'vitest';
import { B2MML_NS, fromB2mmlDocument, toB2mmlDocument } from '../lib/b2mml';
import type { Isa95RecipeParameter } from '../lib/isa95';
import { Inbox } from '../testing/flow';
import recipeParameterNode from './isa95-recipe-parameter';
import { recipeParameterModel } from './recipe-parameter-model';

const feedRate = {
  objectId: 'CNC_Cell_01/OP20',
  objectIdType: 'str',
  parameter: 'FeedRate',
  parameterType: 'str',
  value: 'payload',
  valueType: 'msg',
  dataType: 'double',
  dataTypeType: 'str',
  unit: 'mm/min',
  unitType: 'str',
};

async function load(node: Record<string, unknown>) {
  await helper.load(recipeParameterNode, [
    { id: 'rp', type: 'isa95-recipe-parameter', ...node, wires: [['ok'], ['bad']] },
    { id: 'ok', type: 'helper' },
    { id: 'bad', type: 'helper' },
  ]);
  return { rp: helper.getNode('rp'), ok: new Inbox(helper.getNode('ok')), bad: new Inbox(helper.getNode('bad')) };
}

describe('recipeParameterModel', () => {
  it('round-trips a parameter as a B2MML ProcessSegment Parameter, keeping its type', () => {
    const value = (
      recipeParameterModel.validate({
        id: 'CNC_Cell_01/OP20',
        parameter: 'FeedRate',
        value: 1140.5,
        unit: 'mm/min',
      }) as { value: Isa95RecipeParameter }
    ).value;
    expect(value.dataType).toBe('double');
    const xml = toB2mmlDocument('ProcessSegment', recipeParameterModel.toB2mml(value));
    expect(xml).toContain('<ValueString>1140.5</ValueString>');
    const parsed = fromB2mmlDocument(xml, 'ProcessSegment') as { value: Record<string, unknown> };
    expect(recipeParameterModel.validate(recipeParameterModel.fromB2mml(parsed.value))).toEqual({
      success: true,
      value,
    });
  });

  it.each([
    [{ value: 'fast', dataType: 'double' }, 'TYPE_MISMATCH'],
    [{ value: 12.5, dataType: 'integer' }, 'TYPE_MISMATCH'],
    [{ value: 'yes', dataType: 'boolean' }, 'TYPE_MISMATCH'],
    [{ value: Number.NaN }, 'TYPE_MISMATCH'],
    [{ value: 1, dataType: 'float128' }, 'INVALID_ENUM'],
    [{ value: undefined }, 'REQUIRED'],
  ])('rejects %j with %s', (raw, code) => {
    const result = recipeParameterModel.validate({ id: 'R', parameter: 'P', ...raw });
    expect((result as { issues: { code: string }[] }).issues[0].code).toBe(code);
  });
});

describe('isa95-recipe-parameter node', () => {
  afterEach(() => helper.unload());

  it('types numeric text from an OPC UA or MQTT payload as a double', async () => {
    const { rp, ok } = await load(feedRate);
    rp.receive({ payload: '1140' });
    expect(((await ok.next()).isa95 as { recipeParameter: Isa95RecipeParameter }).recipeParameter).toEqual({
      type: 'recipe-parameter',
      id: 'CNC_Cell_01/OP20',
      parameter: 'FeedRate',
      value: 1140,
      dataType: 'double',
      unit: 'mm/min',
    });
  });

  it('writes the B2MML document to the configured property', async () => {
    const { rp, ok } = await load({ ...feedRate, b2mmlOutput: 'payload' });
    rp.receive({ payload: 1140 });
    expect((await ok.next()).payload).toContain(`<ProcessSegment xmlns="${B2MML_NS}">`);
  });

  it('sends a value that does not match the declared type to the error output', async () => {
    const { rp, bad } = await load(feedRate);
    rp.receive({ payload: 'fast' });
    expect(((await bad.next()).error as { message: string }).message).toContain(
      '$.value: must be a finite number, got "fast"',
    );
  });

  it('routes messages to the error output while its hierarchy configuration is not deployed', async () => {
    const { rp, bad } = await load({ ...feedRate, hierarchy: 'not-deployed' });
    rp.receive({ payload: 1140 });
    const error = (await bad.next()).error as { code: string; message: string };
    expect(error).toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('ISA-95 hierarchy configuration not deployed'),
    });
  });
});
