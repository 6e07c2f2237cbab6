import type { FlowFile, NodeRedNode, RuleSetFile, RuleSetVersion } from '@loopgate/contracts';
import { diffRuleSets, ruleSetChecksum, type RuleSetChange } from '@loopgate/rules';
import { FLOW_ID_ENV, toNodeRedFlows } from '../red/flow-file';
import { checksumOf } from './project-files';

/** How one flow file differs from what the runtime runs, by node id. */
export interface FlowDiff {
  id: string;
  version: string;
  checksum: string;
  /** Version the runtime runs now, from the tab's LOOPGATE_FLOW_VERSION. */
  deployedVersion?: string;
  added: string[];
  removed: string[];
  changed: string[];
}

/** How one rule set file differs from what the registry holds for production. */
export interface RuleSetPlan {
  id: string;
  checksum: string;
  /** The registry's production version that already has the file's content: published, or waiting for approval. */
  sameAs?: { version: number; status: RuleSetVersion['status'] };
  /** The newest version number of any environment; a new version takes the next one. */
  latestVersion?: number;
  /** The version production runs now (the newest published one). */
  liveVersion?: number;
  /** Without `sameAs`: the version the changes are against, the live one (or the newest, before any is live). */
  comparedWith?: number;
  changes?: RuleSetChange[];
}

function tabEnv(tab: NodeRedNode, name: string): string | undefined {
  const env = Array.isArray(tab.env) ? (tab.env as { name?: string; value?: unknown }[]) : [];
  const entry = env.find((e) => e.name === name);
  return typeof entry?.value === 'string' ? entry.value : undefined;
}

/** The runtime's nodes that belong to a deployed flow file: its tabs (stamped with the flow id) and their nodes. */
export function deployedNodesOf(flowId: string, runtime: readonly NodeRedNode[]): NodeRedNode[] {
  const tabs = new Set(runtime.filter((n) => n.type === 'tab' && tabEnv(n, FLOW_ID_ENV) === flowId).map((n) => n.id));
  return runtime.filter((n) => tabs.has(n.id) || (typeof n.z === 'string' && tabs.has(n.z)));
}

/** Node-level differences between what a flow file deploys and what the runtime runs. */
export function diffFlow(file: FlowFile, runtime: readonly NodeRedNode[]): FlowDiff {
  const wanted = new Map(toNodeRedFlows([file]).map((n) => [n.id, n]));
  const deployed = deployedNodesOf(file.id, runtime);
  const current = new Map(deployed.map((n) => [n.id, n]));
  const tab = deployed.find((n) => n.type === 'tab');
  const deployedVersion = tab ? tabEnv(tab, 'LOOPGATE_FLOW_VERSION') : undefined;
  return {
    id: file.id,
    version: file.version,
    checksum: checksumOf(file),
    ...(deployedVersion !== undefined ? { deployedVersion } : {}),
    added: [...wanted.keys()].filter((id) => !current.has(id)),
    removed: [...current.keys()].filter((id) => !wanted.has(id)),
    changed: [...wanted.keys()].filter(
      (id) => current.has(id) && checksumOf(current.get(id)) !== checksumOf(wanted.get(id)),
    ),
  };
}

export function flowUnchanged(diff: FlowDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

/**
 * The runtime's flows with the given flow files replacing what they deployed before; tabs and
 * nodes that no flow file owns (edited in the editor, other teams' flows) are kept.
 */
export function mergeFlows(runtime: readonly NodeRedNode[], files: readonly FlowFile[]): NodeRedNode[] {
  const replaced = new Set(files.flatMap((file) => deployedNodesOf(file.id, runtime).map((n) => n.id)));
  const incoming = toNodeRedFlows([...files]);
  const incomingIds = new Set(incoming.map((n) => n.id));
  return [...runtime.filter((n) => !replaced.has(n.id) && !incomingIds.has(n.id)), ...incoming];
}

/**
 * Compares a rule set file with the registry's production versions by content, the way the
 * registry does: the file is unchanged when the newest production version (unless rejected) or the
 * live one has its checksum; otherwise it becomes a new version, and `changes` says what differs.
 */
export function diffRuleSet(file: RuleSetFile, versions: readonly RuleSetVersion[]): RuleSetPlan {
  const checksum = ruleSetChecksum(file);
  const production = versions.filter((v) => v.environment === 'production').sort((a, b) => a.version - b.version);
  const newest = production.filter((v) => v.status !== 'rejected').at(-1);
  const live = production.filter((v) => v.status === 'published').at(-1);
  const same = [newest, live].find((v) => v !== undefined && ruleSetChecksum(v.content) === checksum);
  const latest = versions.reduce<number | undefined>(
    (max, v) => (max === undefined || v.version > max ? v.version : max),
    undefined,
  );
  const base = live ?? newest;
  return {
    id: file.id,
    checksum,
    ...(same ? { sameAs: { version: same.version, status: same.status } } : {}),
    ...(latest !== undefined ? { latestVersion: latest } : {}),
    ...(live ? { liveVersion: live.version } : {}),
    ...(!same && base ? { comparedWith: base.version, changes: diffRuleSets(base.content, file).changes } : {}),
  };
}

export function describeFlowDiff(diff: FlowDiff): string {
  if (flowUnchanged(diff)) return `  flow ${diff.id} ${diff.version}: unchanged`;
  const from = diff.deployedVersion
    ? ` (runtime has ${diff.deployedVersion})`
    : diff.removed.length || diff.changed.length
      ? ''
      : ' (new)';
  const parts = [
    diff.added.length ? `+${diff.added.length} added [${diff.added.join(', ')}]` : '',
    diff.changed.length ? `~${diff.changed.length} changed [${diff.changed.join(', ')}]` : '',
    diff.removed.length ? `-${diff.removed.length} removed [${diff.removed.join(', ')}]` : '',
  ].filter(Boolean);
  return `  flow ${diff.id} ${diff.version}${from}: ${parts.join(', ')}`;
}

const SIGN: Record<RuleSetChange['kind'], string> = { added: '+', removed: '-', changed: '~' };

/** A value in one short line, so a changed threshold reads `80 → 85` and a whole rule stays readable. */
function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

function describeChange(change: RuleSetChange): string {
  const owner = change.rule ?? change.sharedCondition;
  // A rule or shared condition is named by itself; what is inside one, by where it is.
  const whole = change.subject === 'rule' || change.subject === 'shared-condition';
  const subject = owner ? `${change.subject}${whole ? '' : ' in'} "${owner}"` : change.subject;
  let values = '';
  if (change.kind === 'added') values = `: ${brief(change.after)}`;
  else if (change.kind === 'removed') values = `: ${brief(change.before)}`;
  else if ('before' in change) values = `: ${brief(change.before)} → ${brief(change.after)}`;
  return `    ${SIGN[change.kind]} ${subject} ${change.afterPath ?? change.beforePath ?? ''}${values}`;
}

/** One line per rule set and, for a new version, one line per change against production's live version. */
export function describeRuleSetDiff(diff: RuleSetPlan): string[] {
  if (diff.sameAs) {
    const state = diff.sameAs.status === 'published' ? 'live' : "waiting for a second person's approval";
    return [`  rule set ${diff.id}: unchanged (version ${diff.sameAs.version}, ${state})`];
  }
  const head = `  rule set ${diff.id}: new version ${(diff.latestVersion ?? 0) + 1} for production, needs a second person's approval`;
  if (!diff.changes || diff.comparedWith === undefined)
    return [`${head} (${diff.latestVersion === undefined ? 'new rule set' : 'no production version to compare with'})`];
  const against = `${diff.comparedWith === diff.liveVersion ? 'live' : 'pending'} version ${diff.comparedWith}`;
  return [`${head}, against ${against}:`, ...diff.changes.map(describeChange)];
}
