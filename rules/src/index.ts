/**
 * @loopgate/rules — rule set files and their compiled evaluator. Pure TypeScript: the palette's
 * rule node, the gateway and the CLI use it alike; the console imports the browser-safe
 * `@loopgate/rules/core` (everything here but the checksum).
 *
 * @example
 * import { LOOPGATE_RULE_OPTIONS, compileRuleSet, validateRuleSetFile } from '@loopgate/rules';
 *
 * const checked = validateRuleSetFile(fs.readFileSync('rules/sets/tool-wear-feed-compensation.json', 'utf8'), {
 *   supportedActions: ['set-parameter'],
 * });
 * if (!checked.success) throw new Error(checked.issues.map((i) => `${i.path} ${i.code}`).join('\n'));
 *
 * const toolWear = compileRuleSet(checked.value, LOOPGATE_RULE_OPTIONS);
 * toolWear.events({ machineId: 'CNC-07', spindleLoad: 91, toolWearScore: 0.72, compensatedFeedRate: 1104 });
 * // → [{ type: 'writeback', params: { action: 'set-parameter', parameter: 'FeedRate', value: 1104, … } }]
 * toolWear.evaluate(facts).results[0].conditions; // per-condition results for the console's test run
 */

export * from './core';
// Server-side only: node:crypto.
export { ruleSetChecksum } from './file/checksum';
