/**
 * @loopgate/rules/core — the browser-safe part of the rules package: the file format (parse,
 * migrate, validate, canonical form, diff), JSON paths, operators and the compiled evaluator.
 * Nothing here imports a Node built-in, so the console bundles it as it is; the server-only
 * parts (checksums with node:crypto) are in the package's main entry beside it.
 *
 * @example
 * import { diffRuleSets, validateRuleSet } from '@loopgate/rules/core';
 * const issues = validateRuleSet(draft).success ? [] : validateRuleSet(draft).issues;
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
export { operatorLabel, operatorsFor, valueKind } from './file/operator-choice';
export {
  DERIVED_EXPRESSION_LIMITS,
  DerivedFactError,
  DerivedFacts,
  checkDerivedExpression,
  derivedFactReads,
} from './derived/derived-facts';
export { WRITE_BACK_EVENT, checkWriteBackEvent, type ActionCatalogue } from './file/event-check';

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
export { canonicalJson, canonicalRuleSet, serializeRuleSet } from './file/canonical';
export { diffRuleSets, type ChangeKind, type ChangeSubject, type RuleSetChange, type RuleSetDiff } from './file/diff';
export { indexPath, isPathWithin, jsonEqual, propertyPath, ruleRelativePath } from './file/json-path';
