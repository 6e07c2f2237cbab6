/**
 * @loopgate/rules — rule set files and their compiled evaluator. Pure TypeScript: the palette's
 * rule node, the gateway and the CLI use it alike.
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

// The compiled evaluator.
export {
  LOOPGATE_RULE_OPTIONS,
  compileRuleSet,
  type CompileOptions,
  type RuleSetEvaluator,
} from './evaluator/evaluator';
export { AsyncFactError, RuleSetCompileError, UndefinedFactError } from './evaluator/errors';
export type { EngineFact, Facts } from './evaluator/fact-reader';
export type { PathResolver } from './evaluator/fact-path';
export {
  BUILT_IN_DECORATORS,
  BUILT_IN_OPERATORS,
  type BuiltInDecorator,
  type BuiltInOperator,
  type CustomOperator,
  type CustomOperatorDecorator,
} from './evaluator/operators';

// The file format.
export { MAX_CONDITION_DEPTH, RULE_SET_ID_PATTERN, parseRuleSetFile, type ParseOptions } from './file/parse';
export { validateRuleSet, validateRuleSetFile, type RuleSetValidationOptions } from './file/validate';
export {
  RULE_SET_MIGRATIONS,
  migrateRuleSetFile,
  type MigratedRuleSet,
  type MigrationOptions,
  type RuleSetMigration,
} from './file/migrate';
export { canonicalJson, canonicalRuleSet, ruleSetChecksum, serializeRuleSet } from './file/canonical';
export { diffRuleSets, type ChangeKind, type ChangeSubject, type RuleSetChange, type RuleSetDiff } from './file/diff';
