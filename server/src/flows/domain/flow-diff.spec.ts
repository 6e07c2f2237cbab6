import { describe, expect, it } from 'vitest';
import { diffFlows, flowsChecksum, flowsProblem } from './flow-diff';

const running = [
  { id: 'tab', type: 'tab', label: 'Line 1' },
  { id: 'fn', type: 'function', name: 'scale', z: 'tab', func: 'return msg;' },
  { id: 'old', type: 'debug', z: 'tab' },
];

describe('diffFlows', () => {
  it('names added, removed and changed nodes with type and name', () => {
    const next = [
      running[0],
      { ...running[1], func: 'msg.payload *= 2; return msg;' },
      { id: 'out', type: 'opcenter-out', name: 'feed rate', z: 'tab' },
    ];
    expect(diffFlows(running, next, 4)).toEqual({
      against: 4,
      added: [{ id: 'out', type: 'opcenter-out', name: 'feed rate', z: 'tab' }],
      removed: [{ id: 'old', type: 'debug', z: 'tab' }],
      changed: [{ id: 'fn', type: 'function', name: 'scale', z: 'tab' }],
    });
  });

  it('does not count a change of credentials only, nor key order', () => {
    const next = [
      running[0],
      { func: 'return msg;', z: 'tab', name: 'scale', type: 'function', id: 'fn', credentials: { x: 1 } },
      running[2],
    ];
    expect(diffFlows(running, next).changed).toEqual([]);
  });
});

describe('flowsChecksum', () => {
  it('is the same for the same flows in another key order, and differs on any change', () => {
    const reordered = running.map((n) => Object.fromEntries(Object.entries(n).reverse()));
    expect(flowsChecksum(reordered)).toBe(flowsChecksum(running));
    expect(flowsChecksum([...running, { id: 'x', type: 'tab' }])).not.toBe(flowsChecksum(running));
  });
});

describe('flowsProblem', () => {
  it.each([
    [{}, 'flows must be an array of nodes'],
    [[1], 'flows[0] is not a node object'],
    [[{ type: 'tab' }], 'flows[0] has no id'],
    [[{ id: 'a' }], 'flows[0] (a) has no type'],
    [
      [
        { id: 'a', type: 'tab' },
        { id: 'a', type: 'tab' },
      ],
      'node id a appears twice',
    ],
  ])('refuses %j', (flows, problem) => {
    expect(flowsProblem(flows)).toBe(problem);
  });

  it('accepts a flow configuration', () => {
    expect(flowsProblem(running)).toBeUndefined();
  });
});
