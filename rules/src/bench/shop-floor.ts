import type { Condition, RuleDefinition, RuleSetFile } from '@loopgate/contracts';

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same rule sets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Signals a machining line reports, with the range they move in and the write-back a breach asks for. */
const SIGNALS = [
  { name: 'spindleLoad', low: 20, high: 110, parameter: 'FeedRate' },
  { name: 'vibrationRms', low: 0.5, high: 12, parameter: 'SpindleSpeed' },
  { name: 'bearingTemperature', low: 30, high: 100, parameter: 'SpindleSpeed' },
  { name: 'coolantFlow', low: 2, high: 25, parameter: 'CoolantPressure' },
  { name: 'toolWearScore', low: 0, high: 1, parameter: 'FeedRate' },
  { name: 'axisFollowingError', low: 0, high: 0.2, parameter: 'FeedRate' },
  { name: 'motorCurrent', low: 5, high: 60, parameter: 'FeedRate' },
  { name: 'hydraulicPressure', low: 80, high: 160, parameter: 'ClampPressure' },
  { name: 'cycleTimeDeviation', low: -10, high: 30, parameter: 'FeedRate' },
  { name: 'surfaceRoughness', low: 0.2, high: 3.2, parameter: 'SpindleSpeed' },
] as const;

export interface ShopFloorBench {
  ruleSet: RuleSetFile;
  /** Events as a subscription delivers them: one machine, one signal, its value and context. */
  events: Record<string, unknown>[];
}

const machineName = (i: number) => `CNC-${String(i + 1).padStart(3, '0')}`;

/**
 * A rule set of `ruleCount` rules as a plant writes them: per machine and signal a threshold, some
 * confirmed by an AI score or restricted by shift, none while the machine is in maintenance.
 */
export function shopFloorBench(ruleCount: number, eventCount: number, seed = 42): ShopFloorBench {
  const random = seededRandom(seed + ruleCount);
  const machineCount = Math.max(2, Math.ceil(ruleCount / SIGNALS.length));
  const rules: RuleDefinition[] = [];
  for (let i = 0; i < ruleCount; i++) {
    const machineId = machineName(i % machineCount);
    const signal = SIGNALS[Math.floor(i / machineCount) % SIGNALS.length];
    const threshold = Math.round((signal.low + (signal.high - signal.low) * (0.6 + 0.3 * random())) * 100) / 100;
    const conditions: Condition[] = [
      { fact: 'machineId', operator: 'equal', value: machineId },
      { fact: 'signal', operator: 'equal', value: signal.name },
      { fact: 'value', operator: 'greaterThan', value: threshold },
      { not: { fact: 'maintenanceMode', operator: 'equal', value: true } },
    ];
    if (i % 3 === 0) {
      conditions.push({
        any: [
          { fact: 'aiScore', operator: 'greaterThanInclusive', value: 0.7 },
          { fact: 'alarms', operator: 'contains', value: 'E-OVERLOAD' },
        ],
      });
    }
    if (i % 5 === 0) conditions.push({ fact: 'shift', operator: 'in', value: ['A', 'B'] });
    rules.push({
      name: `${machineId}-${signal.name}-high`,
      priority: i % 10 === 0 ? 2 : undefined,
      conditions: { all: conditions },
      event: {
        type: 'writeback',
        params: {
          action: 'set-parameter',
          targetKind: 'opcenter',
          machineId,
          parameter: signal.parameter,
          reading: { fact: 'value' },
          inferenceId: { fact: 'inferenceId' },
        },
      },
    });
  }
  const ruleSet: RuleSetFile = {
    schemaVersion: 1,
    id: `shop-floor-${ruleCount}`,
    name: `Shop floor, ${ruleCount} rules`,
    facts: [
      { name: 'machineId', type: 'string' },
      { name: 'signal', type: 'string' },
      { name: 'value', type: 'number' },
      { name: 'maintenanceMode', type: 'boolean' },
      { name: 'aiScore', type: 'number' },
      { name: 'alarms', type: 'array' },
      { name: 'shift', type: 'string' },
      { name: 'inferenceId', type: 'string' },
    ],
    rules,
  };
  const events: Record<string, unknown>[] = [];
  for (let e = 0; e < eventCount; e++) {
    const signal = SIGNALS[Math.floor(random() * SIGNALS.length)];
    events.push({
      // A few events come from machines no rule mentions.
      machineId: machineName(Math.floor(random() * machineCount * 1.1)),
      signal: signal.name,
      value: Math.round((signal.low + (signal.high - signal.low) * random()) * 100) / 100,
      maintenanceMode: random() < 0.05,
      aiScore: Math.round(random() * 100) / 100,
      alarms: random() < 0.1 ? ['E-OVERLOAD'] : [],
      shift: ['A', 'B', 'C'][Math.floor(random() * 3)],
      inferenceId: `inf-${e}`,
    });
  }
  return { ruleSet, events };
}
