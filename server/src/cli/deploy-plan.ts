import type { FlowFile, NodeRedNode, RuleSetFile, RuleSetVersion } from '@loopgate/contracts';
import { ruleSetChecksum } from '@loopgate/rules';
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

/** How one rule set file differs from the registry's versions. */
export interface RuleSetDiff {
  id: string;
  checksum: string;
  /** The registry's version with the same content, if there is one. */
  sameAs?: { version: number; status: RuleSetVersion['status'] };
  latestVersion?: number;
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

/** Compares a rule set file with the registry's versions by content. */
export function diffRuleSet(file: RuleSetFile, versions: readonly RuleSetVersion[]): RuleSetDiff {
  const checksum = ruleSetChecksum(file);
  const same = [...versions].reverse().find((v) => ruleSetChecksum(v.content) === checksum);
  const latest = versions.reduce<number | undefined>(
    (max, v) => (max === undefined || v.version > max ? v.version : max),
    undefined,
  );
  return {
    id: file.id,
    checksum,
    ...(same ? { sameAs: { version: same.version, status: same.status } } : {}),
    ...(latest !== undefined ? { latestVersion: latest } : {}),
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

export function describeRuleSetDiff(diff: RuleSetDiff): string {
  if (diff.sameAs) return `  rule set ${diff.id}: unchanged (version ${diff.sameAs.version}, ${diff.sameAs.status})`;
  return `  rule set ${diff.id}: new version${diff.latestVersion !== undefined ? ` after ${diff.latestVersion}` : ' (new rule set)'}`;
}
