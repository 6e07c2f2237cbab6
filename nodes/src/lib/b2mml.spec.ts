import { describe, expect, it } from 'vitest';
import { B2MML_NS, fromB2mmlDocument, hierarchyScope, readHierarchyScope, readValue, toB2mmlDocument } from './b2mml';

describe('B2MML documents', () => {
  it('escapes text and drops absent fields', () => {
    const xml = toB2mmlDocument('Equipment', { ID: 'A&B <1>', Description: undefined });
    expect(xml).toContain('<ID>A&amp;B &lt;1&gt;</ID>');
    expect(xml).not.toContain('Description');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
  });

  it('accepts a prefixed root in the B2MML namespace and a Buffer', () => {
    const result = fromB2mmlDocument(
      Buffer.from(`<b:Equipment xmlns:b="${B2MML_NS}"><b:ID>E1</b:ID></b:Equipment>`),
      'Equipment',
    );
    expect(result).toEqual({ success: true, value: { ID: 'E1' } });
  });

  it('refuses a document of another object', () => {
    const result = fromB2mmlDocument(`<MaterialLot xmlns="${B2MML_NS}"><ID>L</ID></MaterialLot>`, 'Equipment');
    expect(result).toMatchObject({
      success: false,
      issues: [
        {
          code: 'INVALID_XML',
          message: 'expected a Equipment element (or a message whose DataArea holds one), found MaterialLot',
        },
      ],
    });
  });

  it('refuses a message holding several objects', () => {
    const xml = `<SyncEquipment xmlns="${B2MML_NS}"><DataArea><Equipment><ID>1</ID></Equipment><Equipment><ID>2</ID></Equipment></DataArea></SyncEquipment>`;
    expect(fromB2mmlDocument(xml, 'Equipment')).toMatchObject({
      success: false,
      issues: [{ message: 'expected one Equipment, found 2' }],
    });
  });

  it('refuses what is not text', () => {
    expect(fromB2mmlDocument({ ID: 'x' }, 'Equipment')).toMatchObject({
      success: false,
      issues: [{ message: 'expected B2MML XML text, got object' }],
    });
  });
});

describe('B2MML values and scopes', () => {
  it('types values by their DataType', () => {
    expect(readValue([{ ValueString: '12.5', DataType: 'double', UnitOfMeasure: 'mm' }])).toEqual({
      value: 12.5,
      dataType: 'double',
      unit: 'mm',
    });
    expect(readValue({ ValueString: 'true', DataType: 'boolean' })).toEqual({
      value: true,
      dataType: 'boolean',
      unit: undefined,
    });
    expect(readValue({ ValueString: 'abc', DataType: 'double' })).toEqual({
      value: 'abc',
      dataType: 'double',
      unit: undefined,
    });
  });

  it('nests the hierarchy scope enterprise outermost and reads it back', () => {
    const path = { enterprise: 'Acme', site: 'Graz', workCenter: 'Cell_B' };
    const scope = hierarchyScope(path);
    expect(scope).toMatchObject({
      EquipmentID: 'Acme',
      EquipmentElementLevel: 'Enterprise',
      HierarchyScope: {
        EquipmentID: 'Graz',
        HierarchyScope: { EquipmentID: 'Cell_B', EquipmentElementLevel: 'WorkCenter' },
      },
    });
    expect(readHierarchyScope(scope)).toEqual(path);
  });
});
