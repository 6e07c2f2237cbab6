import { describe, expect, it } from 'vitest';
import { validateFlowFile, type ConfiguredTarget, type FlowValidationContext } from './flow-validation';

const targets = new Map<string, ConfiguredTarget>([
  [
    'opcenter-line1',
    { kind: 'opcenter', actions: ['set-parameter', 'hold-lot'], interlocks: [{ parameter: '*Interlock*' }] },
  ],
  ['cmms-main', { kind: 'cmms', problem: 'no target definition is registered for cmms' }],
]);
const context: FlowValidationContext = { targets, ruleSets: new Set(['tool-wear']) };

function flow(nodes: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return {
    schemaVersion: 1,
    id: 'cnc',
    version: '1.0.0',
    name: 'CNC',
    nodes: [{ id: 't1', type: 'tab', label: 'CNC' }, ...nodes],
    ...extra,
  };
}
const out = (fields: Record<string, unknown>) => ({
  id: 'o1',
  type: 'opcenter-out',
  z: 't1',
  instance: 'opcenter-line1',
  action: 'set-parameter',
  parameter: 'FeedRate',
  wires: [],
  ...fields,
});
const codes = (value: unknown, ctx = context) => validateFlowFile(value, ctx).map((i) => `${i.code} ${i.path}`);

describe('validateFlowFile', () => {
  it('accepts a flow whose output node writes a supported action to a configured target', () => {
    expect(
      codes(
        flow([{ id: 'r1', type: 'loopgate-rule', z: 't1', ruleSet: 'tool-wear', wires: [['o1']] }, out({})], {
          ruleSets: ['tool-wear'],
        }),
      ),
    ).toEqual([]);
  });

  it('refuses another schema version and a missing version', () => {
    expect(codes({ ...flow([]), schemaVersion: 2, version: '' })).toEqual([
      'UNSUPPORTED_SCHEMA_VERSION $.schemaVersion',
      'REQUIRED $.version',
    ]);
  });

  it('names an output node whose target is not configured, or of another kind', () => {
    expect(codes(flow([out({ instance: 'opcenter-line9' })]))).toEqual(['UNKNOWN_TARGET $.nodes[1].instance']);
    expect(codes(flow([out({ type: 'cmms-out', instance: 'opcenter-line1' })]))).toEqual([
      'TARGET_KIND_MISMATCH $.nodes[1].instance',
    ]);
  });

  it('names an action the target does not support', () => {
    expect(codes(flow([out({ action: 'reroute-work-order' })]))).toEqual(['UNSUPPORTED_ACTION $.nodes[1].action']);
  });

  it('names an object type the action does not act on, as the target describes it', () => {
    expect(codes(flow([out({ action: 'hold-lot', objectType: 'work-order', parameter: '' })]))).toEqual([
      'UNSUPPORTED_OBJECT $.nodes[1].objectType',
    ]);
    expect(codes(flow([out({ action: 'hold-lot', objectType: 'material-lot', parameter: '' })]))).toEqual([]);
  });

  it('refuses a literal interlock parameter, and leaves a computed one to the gateway', () => {
    expect(codes(flow([out({ parameter: 'SpindleInterlockBypass' })]))).toEqual([
      'SAFETY_INTERLOCK $.nodes[1].parameter',
    ]);
    expect(codes(flow([out({ parameter: 'payload.param', parameterType: 'msg' })]))).toEqual([]);
  });

  it('reports a target whose configuration cannot be checked', () => {
    expect(
      codes(flow([out({ type: 'cmms-out', instance: 'cmms-main', action: 'create-maintenance-work-order' })])),
    ).toEqual(['TARGET_CONFIG_INVALID $.nodes[1].instance']);
  });

  it('needs the site file when a flow has output nodes', () => {
    expect(codes(flow([out({})]), { ruleSets: new Set() })).toEqual(['SITE_REQUIRED $.nodes[1]']);
  });

  it('names rule sets that do not exist, in rule nodes and the file header', () => {
    expect(
      codes(flow([{ id: 'r1', type: 'loopgate-rule', z: 't1', ruleSet: 'gone' }], { ruleSets: ['gone'] })),
    ).toEqual(['UNKNOWN_RULE_SET $.ruleSets[0]', 'UNKNOWN_RULE_SET $.nodes[1].ruleSet']);
  });

  it('finds duplicate ids, dangling wires, unknown tabs and unknown properties', () => {
    const value = flow(
      [
        { id: 'a', type: 'inject', z: 't1', wires: [['nowhere']] },
        { id: 'a', type: 'debug', z: 'tX' },
      ],
      { colour: 'red' },
    );
    expect(codes(value)).toEqual([
      'UNKNOWN_PROPERTY $.colour',
      'DUPLICATE_NODE_ID $.nodes[2].id',
      'UNKNOWN_WIRE_TARGET $.nodes[1].wires[0][0]',
      'UNKNOWN_TAB $.nodes[2].z',
    ]);
  });
});
