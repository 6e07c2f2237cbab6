import type { FlowFile, NodeRedNode, RuleSetFile, RuleSetVersion } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { toNodeRedFlows } from '../red/flow-file';
import { diffFlow, diffRuleSet, flowUnchanged, mergeFlows } from './deploy-plan';

const file = (version: string, nodes: NodeRedNode[]): FlowFile => ({
  schemaVersion: 1,
  id: 'cnc',
  version,
  name: 'CNC',
  nodes: [{ id: 't1', type: 'tab' }, ...nodes],
});
const other: NodeRedNode[] = [
  { id: 'tx', type: 'tab', label: 'hand-made' },
  { id: 'n9', type: 'debug', z: 'tx' },
];

describe('diffFlow', () => {
  it('sees a first deploy as all nodes added', () => {
    const diff = diffFlow(file('1', [{ id: 'a', type: 'inject', z: 't1' }]), other);
    expect(diff).toMatchObject({ added: ['t1', 'a'], removed: [], changed: [] });
    expect(diff.checksum).toMatch(/^[a-f0-9]{64}$/);
  });

  it('finds changed, added and removed nodes against the deployed version', () => {
    const deployed = [
      ...other,
      ...toNodeRedFlows([
        file('1', [
          { id: 'a', type: 'inject', z: 't1', topic: 'x' },
          { id: 'b', type: 'debug', z: 't1' },
        ]),
      ]),
    ];
    const diff = diffFlow(
      file('2', [
        { id: 'a', type: 'inject', z: 't1', topic: 'y' },
        { id: 'c', type: 'debug', z: 't1' },
      ]),
      deployed,
    );
    expect(diff).toMatchObject({ deployedVersion: '1', added: ['c'], removed: ['b'] });
    expect(diff.changed).toContain('a');
  });

  it('reports nothing for the same file', () => {
    const same = file('1', [{ id: 'a', type: 'inject', z: 't1' }]);
    expect(flowUnchanged(diffFlow(same, toNodeRedFlows([same])))).toBe(true);
  });
});

describe('mergeFlows', () => {
  it('replaces what the file deployed before and keeps nodes no file owns', () => {
    const before = [
      ...other,
      ...toNodeRedFlows([
        file('1', [
          { id: 'a', type: 'inject', z: 't1' },
          { id: 'b', type: 'debug', z: 't1' },
        ]),
      ]),
    ];
    const merged = mergeFlows(before, [file('2', [{ id: 'a', type: 'inject', z: 't1' }])]);
    expect(merged.map((n) => n.id).sort()).toEqual(['a', 'n9', 't1', 'tx']);
  });
});

describe('diffRuleSet', () => {
  const ruleSet: RuleSetFile = { schemaVersion: 1, id: 'tw', name: 'TW', facts: [], rules: [] };
  const version = (v: number, content: RuleSetFile, status: RuleSetVersion['status']): RuleSetVersion => ({
    ruleSetId: 'tw',
    version: v,
    checksum: 'x',
    author: 'e',
    createdAt: '',
    status,
    environment: 'production',
    content,
  });

  it('matches a registry version of the same content, whatever its key order', () => {
    const reordered = { rules: [], facts: [], name: 'TW', id: 'tw', schemaVersion: 1 } as RuleSetFile;
    expect(diffRuleSet(ruleSet, [version(1, reordered, 'published')])).toMatchObject({
      sameAs: { version: 1, status: 'published' },
      latestVersion: 1,
    });
  });

  it('sees changed content as a new version', () => {
    expect(diffRuleSet(ruleSet, [version(3, { ...ruleSet, name: 'old' }, 'published')])).toEqual({
      id: 'tw',
      checksum: expect.any(String),
      latestVersion: 3,
    });
  });
});
