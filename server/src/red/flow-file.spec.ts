import { describe, expect, it } from 'vitest';
import type { FlowFile } from '@loopgate/contracts';
import { UserError } from '../common/errors';
import { FLOW_VERSION_ENV, isFlowFile, toNodeRedFlows } from './flow-file';

const file = (over: Partial<FlowFile> = {}): FlowFile => ({
  schemaVersion: 1,
  id: 'tool-wear',
  version: '1.4.0',
  name: 'Tool wear',
  nodes: [
    { id: 'tab1', type: 'tab', label: 'Tool wear', env: [{ name: 'LINE', value: 'L1', type: 'str' }] },
    { id: 'n1', type: 'inject', z: 'tab1' },
  ],
  ...over,
});

describe('toNodeRedFlows', () => {
  it('stamps each tab with the flow id and version and keeps its own variables', () => {
    const [tab, inject] = toNodeRedFlows([file()]);
    expect(tab.env).toEqual([
      { name: 'LINE', value: 'L1', type: 'str' },
      { name: 'LOOPGATE_FLOW_ID', value: 'tool-wear', type: 'str' },
      { name: FLOW_VERSION_ENV, value: '1.4.0', type: 'str' },
    ]);
    expect(inject).toEqual({ id: 'n1', type: 'inject', z: 'tab1' });
  });

  it('replaces a stale version stamp instead of adding a second one', () => {
    const stale = file({
      nodes: [{ id: 't', type: 'tab', env: [{ name: FLOW_VERSION_ENV, value: '0.1.0', type: 'str' }] }],
    });
    const env = toNodeRedFlows([stale])[0].env as { name: string; value: string }[];
    expect(env.filter((e) => e.name === FLOW_VERSION_ENV)).toEqual([
      { name: FLOW_VERSION_ENV, value: '1.4.0', type: 'str' },
    ]);
  });

  it('refuses a node id used twice across files', () => {
    expect(() => toNodeRedFlows([file(), file({ id: 'other' })])).toThrow(UserError);
  });

  it('refuses an unknown schema version', () => {
    expect(() => toNodeRedFlows([file({ schemaVersion: 9 })])).toThrowError(/schemaVersion 9/);
  });
});

describe('isFlowFile', () => {
  it('tells a flow file from a bare Node-RED array', () => {
    expect(isFlowFile(file())).toBe(true);
    expect(isFlowFile([{ id: 'a', type: 'tab' }])).toBe(false);
  });
});
