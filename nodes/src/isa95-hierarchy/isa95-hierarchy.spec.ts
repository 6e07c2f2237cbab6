import helper from 'node-red-node-test-helper';
import { afterEach, describe, expect, it } from 'vitest';
import hierarchyNode, {
  formatHierarchy,
  hierarchyFor,
  validateHierarchy,
  type HierarchyConfigNode,
} from './isa95-hierarchy';

describe('validateHierarchy', () => {
  it('accepts a path filled top down, with an equipment class', () => {
    expect(
      validateHierarchy({
        enterprise: 'Acme',
        site: 'Graz',
        area: 'Machining',
        workCenter: 'CNC_Line_1',
        equipmentClass: 'CNC',
      }),
    ).toEqual({
      success: true,
      value: { enterprise: 'Acme', site: 'Graz', area: 'Machining', workCenter: 'CNC_Line_1', equipmentClass: 'CNC' },
    });
  });

  it('requires the enterprise', () => {
    expect(validateHierarchy({ site: 'Graz' })).toEqual({
      success: false,
      issues: [{ code: 'REQUIRED', path: '$.enterprise', message: 'is required' }],
    });
  });

  it('names every level skipped above the deepest one set', () => {
    const result = validateHierarchy({ enterprise: 'Acme', workUnit: 'CNC_Cell_01' });
    expect((result as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual([
      '$.site',
      '$.area',
      '$.workCenter',
    ]);
  });

  it('refuses "/" inside a level name', () => {
    const result = validateHierarchy({ enterprise: 'Acme/EU' });
    expect((result as { issues: { code: string }[] }).issues[0].code).toBe('INVALID_CONFIG');
  });

  it('formats the path as one string', () => {
    expect(formatHierarchy({ enterprise: 'Acme', site: 'Graz', equipmentClass: 'CNC' })).toBe('Acme/Graz');
  });
});

describe('isa95-hierarchy node', () => {
  afterEach(() => helper.unload());

  it('exposes the validated path to the nodes that use it', async () => {
    await helper.load(hierarchyNode, [{ id: 'h', type: 'isa95-hierarchy', enterprise: 'Acme', site: 'Graz' }]);
    const RED = { nodes: { getNode: (id: string) => helper.getNode(id) } } as never;
    expect(hierarchyFor(RED, 'h')).toEqual({ path: { enterprise: 'Acme', site: 'Graz' } });
    expect(hierarchyFor(RED, '')).toEqual({});
  });

  it('keeps the issues of an invalid entry for the nodes to report', async () => {
    await helper.load(hierarchyNode, [{ id: 'h', type: 'isa95-hierarchy', enterprise: '' }]);
    const node = helper.getNode('h') as unknown as HierarchyConfigNode;
    expect(node.path).toBeUndefined();
    const RED = { nodes: { getNode: (id: string) => helper.getNode(id) } } as never;
    expect(hierarchyFor(RED, 'h')).toEqual({ problem: 'ISA-95 hierarchy: $.enterprise is required' });
  });
});
