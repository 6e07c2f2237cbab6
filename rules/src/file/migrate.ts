import { RULE_SET_SCHEMA_VERSION, type ValidationIssue, type ValidationResult } from '@loopgate/contracts';
import { isPlainObject } from './json-path';

/**
 * One step of the rule set file format, from `from` to `from + 1`. Every change of the format
 * adds one step here and bumps `RULE_SET_SCHEMA_VERSION` in contracts.
 */
export interface RuleSetMigration {
  from: number;
  /** What changed, for the changelog and the CLI's `--dry-run`. */
  description: string;
  /** Receives a private copy; returns the file in version `from + 1` (schemaVersion is set by the caller). */
  migrate(file: Record<string, unknown>): Record<string, unknown>;
}

/** The format's history, one step per version. */
export const RULE_SET_MIGRATIONS: readonly RuleSetMigration[] = [
  {
    from: 1,
    description:
      'schemaVersion 2 adds derivedFacts (facts computed by a JSONata expression); a version 1 file has none, so its content carries over unchanged',
    migrate: (file) => file,
  },
];

export interface MigrationOptions {
  migrations?: readonly RuleSetMigration[];
  /** The version to reach; the current format unless a test says otherwise. */
  targetVersion?: number;
}

/** A file brought to the current format, and the version it was written in. */
export interface MigratedRuleSet {
  file: Record<string, unknown>;
  fromVersion: number;
}

/**
 * Brings a parsed rule set file to the current `schemaVersion`, step by step. A file from a newer
 * Loopgate is refused rather than guessed at. The input is never modified.
 *
 * @example
 * const migrated = migrateRuleSetFile(JSON.parse(text));
 * if (migrated.success && migrated.value.fromVersion < RULE_SET_SCHEMA_VERSION) rewrite(migrated.value.file);
 */
export function migrateRuleSetFile(raw: unknown, options: MigrationOptions = {}): ValidationResult<MigratedRuleSet> {
  const migrations = options.migrations ?? RULE_SET_MIGRATIONS;
  const target = options.targetVersion ?? RULE_SET_SCHEMA_VERSION;
  const fail = (issue: ValidationIssue): ValidationResult<MigratedRuleSet> => ({ success: false, issues: [issue] });
  if (!isPlainObject(raw))
    return fail({ code: 'INVALID_TYPE', path: '$', message: 'a rule set file is a JSON object' });
  if (!Object.hasOwn(raw, 'schemaVersion')) {
    return fail({
      code: 'REQUIRED',
      path: '$.schemaVersion',
      message: `schemaVersion is required (current: ${target})`,
    });
  }
  const version = raw.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return fail({ code: 'INVALID_VALUE', path: '$.schemaVersion', message: 'schemaVersion is a positive integer' });
  }
  if (version > target) {
    return fail({
      code: 'SCHEMA_VERSION_UNSUPPORTED',
      path: '$.schemaVersion',
      message: `schemaVersion ${version} is newer than this Loopgate understands (${target})`,
    });
  }
  let file = raw;
  for (let v = version; v < target; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) {
      return fail({
        code: 'MIGRATION_MISSING',
        path: '$.schemaVersion',
        message: `no migration from schemaVersion ${v}`,
      });
    }
    file = { ...step.migrate(structuredClone(file)), schemaVersion: v + 1 };
  }
  return { success: true, value: { file, fromVersion: version } };
}
