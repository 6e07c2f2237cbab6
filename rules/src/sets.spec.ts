import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WRITE_BACK_ACTIONS, type RuleSetFile } from '@loopgate/contracts';
import { TARGET_CATALOGUE } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import { LOOPGATE_RULE_OPTIONS, compileRuleSet } from './evaluator/evaluator';
import { serializeRuleSet } from './file/canonical';
import { validateRuleSetFile } from './file/validate';

const SETS = join(__dirname, '..', 'sets');
const files = readdirSync(SETS).filter((f) => f.endsWith('.json'));

function load(id: string): RuleSetFile {
  const checked = validateRuleSetFile(readFileSync(join(SETS, `${id}.json`), 'utf8'));
  if (!checked.success) throw new Error(JSON.stringify(checked.issues));
  return checked.value;
}

describe('rules/sets', () => {
  it('holds the seed use cases', () => {
    expect(files.sort()).toEqual(
      expect.arrayContaining([
        'bearing-failure-maintenance.json',
        'bottleneck-rerouting.json',
        'incoming-lot-hold.json',
        'tool-wear-feed-compensation.json',
      ]),
    );
  });

  describe.each(files)('%s', (file) => {
    const text = readFileSync(join(SETS, file), 'utf8');

    it('is valid, with every event complete for its target’s action', () => {
      const checked = validateRuleSetFile(text, {
        supportedActions: WRITE_BACK_ACTIONS,
        actionCatalogue: TARGET_CATALOGUE,
      });
      expect(checked.success ? [] : checked.issues).toEqual([]);
    });

    it('is named after its id and saved in canonical form', () => {
      const checked = validateRuleSetFile(text);
      expect(checked.success && `${checked.value.id}.json`).toBe(file);
      expect(checked.success && serializeRuleSet(checked.value)).toBe(text);
    });

    it('compiles', () => {
      const checked = validateRuleSetFile(text);
      expect(() => checked.success && compileRuleSet(checked.value, LOOPGATE_RULE_OPTIONS)).not.toThrow();
    });
  });
});

describe('tool-wear-feed-compensation', () => {
  const evaluator = compileRuleSet(load('tool-wear-feed-compensation'), LOOPGATE_RULE_OPTIONS);
  const facts = {
    machineId: 'CNC-07',
    operation: 'OP20',
    spindleLoad: 91,
    toolWearScore: 0.72,
    feedRate: 1200,
    compensatedFeedRate: 850,
  };

  it('sets the compensated feed rate for a wearing tool', () => {
    expect(evaluator.events(facts)).toEqual([
      {
        type: 'writeback',
        params: expect.objectContaining({
          action: 'set-parameter',
          parameter: 'FeedRate',
          value: 850,
          machineId: 'CNC-07',
          operation: 'OP20',
        }),
      },
    ]);
  });

  it('leaves a sharp tool alone', () => {
    expect(evaluator.events({ ...facts, toolWearScore: 0.2 })).toEqual([]);
  });

  it('never raises the feed rate', () => {
    expect(evaluator.events({ ...facts, compensatedFeedRate: 1250 })).toEqual([]);
  });

  it('asks for a tool change instead when the tool is worn out', () => {
    expect(evaluator.events({ ...facts, toolWearScore: 0.95 }).map((e) => e.params?.action)).toEqual([
      'create-maintenance-work-order',
    ]);
  });
});

describe('bottleneck-rerouting', () => {
  const evaluator = compileRuleSet(load('bottleneck-rerouting'), LOOPGATE_RULE_OPTIONS);
  const facts = {
    workCenter: 'CELL-B',
    queueDepth: 9,
    cycleTimeVariance: 22,
    bottleneckScore: 0.4,
    alternateWorkCenter: 'CELL-C',
    alternateCapacity: 4,
    nextWorkOrderId: 'WO-1001',
  };

  it('re-routes the next work orders to the alternate cell', () => {
    expect(evaluator.events(facts)).toEqual([
      {
        type: 'writeback',
        params: expect.objectContaining({
          action: 'reroute-work-order',
          workOrderId: 'WO-1001',
          destination: 'CELL-C',
          count: 3,
        }),
      },
    ]);
  });

  it('does nothing for another cell or without capacity', () => {
    expect(evaluator.events({ ...facts, workCenter: 'CELL-A' })).toEqual([]);
    expect(evaluator.events({ ...facts, alternateCapacity: 1 })).toEqual([]);
  });
});

describe('incoming-lot-hold', () => {
  const evaluator = compileRuleSet(load('incoming-lot-hold'), LOOPGATE_RULE_OPTIONS);
  const facts = {
    lotId: 'LOT-77',
    lotStatus: 'received',
    scrapCorrelationScore: 0.3,
    certificate: { moisturePercent: 0.2 },
    failedChecks: [],
  };

  it('holds a lot the model flags', () => {
    expect(evaluator.events({ ...facts, scrapCorrelationScore: 0.86 })).toEqual([
      { type: 'writeback', params: expect.objectContaining({ action: 'hold-lot', lotId: 'LOT-77' }) },
    ]);
  });

  it('holds a lot whose certificate is out of spec', () => {
    expect(evaluator.events({ ...facts, certificate: { moisturePercent: 0.9 } })).toHaveLength(1);
  });

  it('holds a lot that failed the hardness check', () => {
    expect(evaluator.events({ ...facts, failedChecks: ['hardness'] })).toHaveLength(1);
  });

  it('releases nothing and holds nothing once the lot is in production', () => {
    expect(evaluator.events({ ...facts, lotStatus: 'released', scrapCorrelationScore: 0.99 })).toEqual([]);
  });
});

describe('bearing-failure-maintenance', () => {
  const evaluator = compileRuleSet(load('bearing-failure-maintenance'), LOOPGATE_RULE_OPTIONS);
  const facts = {
    equipmentId: 'SPINDLE-3',
    bearingFailureProbability: 0.81,
    vibrationRms: 7.9,
    bearingTemperature: 70,
    openMaintenanceOrder: false,
  };

  it('opens a maintenance work order when the prediction is confirmed', () => {
    expect(evaluator.events(facts)).toEqual([
      {
        type: 'writeback',
        params: expect.objectContaining({
          action: 'create-maintenance-work-order',
          equipmentId: 'SPINDLE-3',
          failureProbability: 0.81,
        }),
      },
    ]);
  });

  it('does not open a second order', () => {
    expect(evaluator.events({ ...facts, openMaintenanceOrder: true })).toEqual([]);
  });

  it('waits for vibration or temperature to confirm the prediction', () => {
    expect(evaluator.events({ ...facts, vibrationRms: 3.2 })).toEqual([]);
  });
});
