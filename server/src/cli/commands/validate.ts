import * as path from 'node:path';
import { TARGET_CATALOGUE, type FlowFile, type RuleSetFile } from '@loopgate/contracts';
import { ruleSetChecksum, validateRuleSetFile } from '@loopgate/rules';
import { ConfigError, loadConfig, type SiteConfig } from '../../config/config';
import { TARGET_DEFINITIONS } from '../../targets/registry';
import { CliError, EXIT } from '../cli-error';
import { interlocksOf, validateFlowFile, type ConfiguredTarget } from '../flow-validation';
import { formatIssue, type FileIssue, type Output } from '../output';
import { readProjectFiles, type ValidFlow, type ValidRuleSet } from '../project-files';

export interface ValidateOptions {
  /** Site file with the configured targets; `LOOPGATE_SITE_FILE` when absent. */
  site?: string;
}

export interface ValidationReport {
  ok: boolean;
  files: number;
  issues: FileIssue[];
  flows: ValidFlow[];
  ruleSets: ValidRuleSet[];
}

/**
 * Reads the site file the way the gateway does and learns each target's actions from its kind's
 * definition, so connections and their secrets are neither resolved nor needed (a CI step has none).
 */
export function configuredTargets(siteFile: string | undefined): Map<string, ConfiguredTarget> | undefined {
  if (!siteFile) return undefined;
  let site: SiteConfig;
  try {
    site = loadConfig({ LOOPGATE_SITE_FILE: siteFile }).site;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(EXIT.usage, 'INVALID_SITE', error.message);
    throw error;
  }
  const targets = new Map<string, ConfiguredTarget>();
  for (const target of site.targets) {
    const definition = TARGET_DEFINITIONS.find((d) => d.kind === target.kind);
    targets.set(
      target.instance,
      definition
        ? { kind: target.kind, actions: definition.actions, interlocks: interlocksOf(target.guardrails) }
        : { kind: target.kind, problem: `no target definition is registered for ${target.kind}` },
    );
  }
  return targets;
}

/**
 * `loopgate validate [paths]`: every rule set and flow file under `paths` (default `rules/sets`
 * and `flows`), checked for format and meaning. Exit 1 when any issue is found.
 */
export async function validateProject(paths: string[], options: ValidateOptions): Promise<ValidationReport> {
  const { files, issues } = readProjectFiles(paths);
  const targets = configuredTargets(options.site ?? process.env.LOOPGATE_SITE_FILE);
  const ruleSets: ValidRuleSet[] = [];
  const flows: ValidFlow[] = [];
  const ruleSetIds = new Set<string>();
  // With a site file, rule events may only ask for actions some configured target supports.
  const supportedActions = targets
    ? new Set([...targets.values()].flatMap((t) => ('actions' in t ? [...t.actions] : [])))
    : undefined;
  for (const { file, value } of files.filter((f) => f.kind === 'rule-set')) {
    const parsed = validateRuleSetFile(value, {
      actionCatalogue: TARGET_CATALOGUE,
      ...(supportedActions ? { supportedActions } : {}),
    });
    if (!parsed.success) {
      issues.push(...parsed.issues.map((issue) => ({ ...issue, file })));
      // An invalid rule set still exists for the flows that reference it.
      const id = (value as { id?: unknown }).id;
      if (typeof id === 'string') ruleSetIds.add(id);
      continue;
    }
    const ruleSet: RuleSetFile = parsed.value;
    if (ruleSetIds.has(ruleSet.id))
      issues.push({
        file,
        code: 'DUPLICATE_RULE_SET_ID',
        path: '$.id',
        message: `another file defines rule set ${ruleSet.id}`,
      });
    if (path.basename(file, '.json') !== ruleSet.id)
      issues.push({
        file,
        code: 'FILE_NAME_MISMATCH',
        path: '$.id',
        message: `rule set ${ruleSet.id} belongs in ${ruleSet.id}.json`,
      });
    ruleSetIds.add(ruleSet.id);
    ruleSets.push({ file, ruleSet, checksum: ruleSetChecksum(ruleSet) });
  }
  const flowIds = new Set<string>();
  for (const { file, value } of files.filter((f) => f.kind === 'flow')) {
    const found = validateFlowFile(value, { targets, ruleSets: ruleSetIds }).map((issue) => ({ ...issue, file }));
    issues.push(...found);
    if (found.length) continue;
    const flow = value as FlowFile;
    if (flowIds.has(flow.id))
      issues.push({ file, code: 'DUPLICATE_FLOW_ID', path: '$.id', message: `another file defines flow ${flow.id}` });
    flowIds.add(flow.id);
    flows.push({ file, flow });
  }
  return {
    ok: issues.length === 0,
    files: files.length + issues.filter((i) => i.code === 'INVALID_JSON').length,
    issues,
    flows,
    ruleSets,
  };
}

export async function validateCommand(paths: string[], options: ValidateOptions, out: Output): Promise<number> {
  const report = await validateProject(paths, options);
  out.result({ ok: report.ok, files: report.files, issues: report.issues }, () => [
    ...report.issues.map(formatIssue),
    report.ok
      ? `${report.files} file(s) valid`
      : `${report.issues.length} issue(s) in ${new Set(report.issues.map((i) => i.file)).size} of ${report.files} file(s)`,
  ]);
  return report.ok ? EXIT.ok : EXIT.issues;
}
