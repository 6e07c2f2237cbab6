import type { FlowFile, NodeRedNode, RuleSetFile, RuleSetVersion } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { toNodeRedFlows } from '../red/flow-file';
import { describeRuleSetDiff, diffFlow, diffRuleSet, flowUnchanged, mergeFlows } from './deploy-plan';

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
  const version = (
    v: number,
    content: RuleSetFile,
    status: RuleSetVersion['status'],
    environment: RuleSetVersion['environment'] = 'production',
  ): RuleSetVersion => ({
    ruleSetId: 'tw',
    version: v,
    checksum: 'x',
    author: 'e',
    createdAt: '',
    status,
    environment,
    content,
  });
  const older = { ...ruleSet, name: 'old' };

  it('matches a registry version of the same content, whatever its key order', () => {
    const reordered = { rules: [], facts: [], name: 'TW', id: 'tw', schemaVersion: 1 } as RuleSetFile;
    expect(diffRuleSet(ruleSet, [version(1, reordered, 'published')])).toMatchObject({
      sameAs: { version: 1, status: 'published' },
      latestVersion: 1,
    });
  });

  it('sees the same content waiting for approval as that pending version', () => {
    expect(diffRuleSet(ruleSet, [version(1, older, 'published'), version(2, ruleSet, 'pending-approval')])).toEqual(
      expect.objectContaining({ sameAs: { version: 2, status: 'pending-approval' }, liveVersion: 1 }),
    );
  });

  it('sees changed content as a new version, with its changes against the live version', () => {
    expect(diffRuleSet(ruleSet, [version(3, older, 'published')])).toEqual({
      id: 'tw',
      checksum: expect.any(String),
      latestVersion: 3,
      liveVersion: 3,
      comparedWith: 3,
      changes: [expect.objectContaining({ kind: 'changed', beforePath: '$.name', before: 'old', after: 'TW' })],
    });
  });

  it('sees content that only a rejected version had as a new version', () => {
    expect(diffRuleSet(ruleSet, [version(1, older, 'published'), version(2, ruleSet, 'rejected')])).toMatchObject({
      latestVersion: 2,
      comparedWith: 1,
    });
    expect(diffRuleSet(ruleSet, [version(2, ruleSet, 'rejected')]).sameAs).toBeUndefined();
  });

  it('sees going back to an older version while a newer one is live as a new version', () => {
    const diff = diffRuleSet(ruleSet, [version(1, ruleSet, 'published'), version(2, older, 'published')]);
    expect(diff).toMatchObject({ liveVersion: 2, comparedWith: 2 });
    expect(diff.sameAs).toBeUndefined();
  });

  it('does not take a test-environment version for production', () => {
    expect(diffRuleSet(ruleSet, [version(1, ruleSet, 'published', 'test')]).sameAs).toBeUndefined();
  });
});

describe('describeRuleSetDiff', () => {
  const base: RuleSetFile = {
    schemaVersion: 1,
    id: 'tw',
    name: 'TW',
    facts: [{ name: 'load', type: 'number' }],
    rules: [
      {
        name: 'reduce-feed',
        conditions: { all: [{ fact: 'load', operator: 'greaterThan', value: 80 }] },
        event: { type: 'writeback', params: { action: 'set-parameter' } },
      },
    ],
  };
  const live: RuleSetVersion = {
    ruleSetId: 'tw',
    version: 4,
    checksum: 'x',
    author: 'e',
    createdAt: '',
    status: 'published',
    environment: 'production',
    content: base,
  };

  it('shows each changed condition with its path and both values', () => {
    const changed = structuredClone(base);
    changed.rules[0].conditions = { all: [{ fact: 'load', operator: 'greaterThan', value: 85 }] };
    expect(describeRuleSetDiff(diffRuleSet(changed, [live]))).toEqual([
      "  rule set tw: new version 5 for production, needs a second person's approval, against live version 4:",
      '    ~ rule "reduce-feed" $.rules[0]',
      '    ~ condition in "reduce-feed" $.rules[0].conditions.all[0]: ' +
        '{"fact":"load","operator":"greaterThan","value":80} → {"fact":"load","operator":"greaterThan","value":85}',
    ]);
  });

  it('says when the content is live already, or still waits for approval', () => {
    expect(describeRuleSetDiff(diffRuleSet(base, [live]))).toEqual(['  rule set tw: unchanged (version 4, live)']);
    expect(describeRuleSetDiff(diffRuleSet(base, [{ ...live, status: 'pending-approval' }]))).toEqual([
      "  rule set tw: unchanged (version 4, waiting for a second person's approval)",
    ]);
  });

  it('names a rule set the registry does not have yet as new', () => {
    expect(describeRuleSetDiff(diffRuleSet(base, []))).toEqual([
      "  rule set tw: new version 1 for production, needs a second person's approval (new rule set)",
    ]);
  });
});
