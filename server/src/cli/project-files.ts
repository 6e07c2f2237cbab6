import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FlowFile, RuleSetFile } from '@loopgate/contracts';
import { canonicalJson } from '@loopgate/rules';
import { isFlowFile } from '../red/flow-file';
import { CliError, EXIT } from './cli-error';
import type { FileIssue } from './output';

/** Where `validate`, `diff` and `deploy` look when given no paths. */
export const DEFAULT_PATHS = ['rules/sets', 'flows'];

/** A JSON file of the project, parsed; `kind` from its content (a flow file has `nodes`). */
export interface ProjectFile {
  file: string;
  kind: 'flow' | 'rule-set';
  value: unknown;
}

function jsonFilesUnder(entry: string): string[] {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) throw new CliError(EXIT.usage, 'NO_SUCH_PATH', `${entry} does not exist`);
  if (stat.isFile()) return [entry];
  return fs
    .readdirSync(entry, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((child) => {
      const full = path.join(entry, child.name);
      if (child.isDirectory()) return jsonFilesUnder(full);
      return child.isFile() && child.name.endsWith('.json') ? [full] : [];
    });
}

/**
 * Reads every `.json` file under `paths` (the defaults that exist, when none are given).
 * Files that are not JSON come back as issues, not exceptions.
 */
export function readProjectFiles(paths: string[]): { files: ProjectFile[]; issues: FileIssue[] } {
  const roots = paths.length ? paths : DEFAULT_PATHS.filter((p) => fs.existsSync(p));
  const files: ProjectFile[] = [];
  const issues: FileIssue[] = [];
  for (const file of [...new Set(roots.flatMap(jsonFilesUnder))]) {
    let value: unknown;
    try {
      value = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      issues.push({ file, code: 'INVALID_JSON', path: '$', message: (error as Error).message });
      continue;
    }
    const looksLikeFlow = isFlowFile(value) || Array.isArray(value) || file.split(path.sep).includes('flows');
    files.push({ file, kind: looksLikeFlow ? 'flow' : 'rule-set', value });
  }
  return { files, issues };
}

/** SHA-256 (hex) of the canonical JSON (keys sorted), so equal content has an equal checksum however it was written. */
export function checksumOf(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonicalJson(value)), 'utf8')
    .digest('hex');
}

export type ValidFlow = { file: string; flow: FlowFile };
export type ValidRuleSet = { file: string; ruleSet: RuleSetFile; checksum: string };
