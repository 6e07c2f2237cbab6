import type { RuleDefinition, RuleSetFile } from '@loopgate/contracts';

/** The seed's tool-wear rule: reduce the feed rate when spindle load and the wear score are both high. */
export const toolWearRule: RuleDefinition = {
  name: 'reduce-feed',
  priority: 10,
  conditions: {
    all: [
      { fact: 'spindleLoad', operator: 'greaterThan', value: 80 },
      {
        any: [{ fact: 'wearScore', operator: 'greaterThanInclusive', value: 0.7 }, { condition: 'toolNearEndOfLife' }],
      },
      { not: { fact: 'machineState', operator: 'equal', value: 'maintenance' } },
    ],
  },
  event: { type: 'writeback', params: { action: 'set-parameter', targetKind: 'opcenter', parameter: 'FeedRate' } },
};

export const toolWearSet: RuleSetFile = {
  schemaVersion: 1,
  id: 'tool-wear',
  name: 'Tool wear feed compensation',
  facts: [
    { name: 'spindleLoad', type: 'number', unit: '%' },
    { name: 'wearScore', type: 'number' },
    { name: 'machineState', type: 'string' },
  ],
  sharedConditions: { toolNearEndOfLife: { all: [{ fact: 'toolMinutes', operator: 'greaterThan', value: 240 }] } },
  rules: [toolWearRule],
};
