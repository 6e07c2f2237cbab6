import type { RuleSetSummary } from '@loopgate/contracts';

interface VersionHeader {
  ruleSetId: string;
  version: number;
  name: string;
  status: string;
  environment: string;
  author?: string;
  createdAt?: string;
  comment?: string | null;
}

/**
 * One line per rule set for `GET /rulesets`: its name from the newest version (or the draft),
 * the newest version, the version production runs, versions waiting for approval (with who
 * proposed them, so the console tells every other engineer one waits), and whether a draft exists.
 */
export function ruleSetSummaries(
  versions: readonly VersionHeader[],
  drafts: readonly { ruleSetId: string; name: string }[],
): RuleSetSummary[] {
  const byId = new Map<string, RuleSetSummary>();
  for (const v of [...versions].sort((a, b) => a.version - b.version)) {
    const summary = byId.get(v.ruleSetId) ?? { id: v.ruleSetId, name: v.name, pendingVersions: [] };
    summary.name = v.name;
    summary.latestVersion = v.version;
    if (v.status === 'published' && v.environment === 'production') summary.publishedVersion = v.version;
    if (v.status === 'pending-approval') {
      summary.pendingVersions!.push(v.version);
      summary.awaiting = [
        ...(summary.awaiting ?? []),
        {
          version: v.version,
          author: v.author ?? '',
          createdAt: v.createdAt ?? '',
          ...(v.comment ? { comment: v.comment } : {}),
        },
      ];
    }
    byId.set(v.ruleSetId, summary);
  }
  for (const draft of drafts) {
    const summary = byId.get(draft.ruleSetId) ?? { id: draft.ruleSetId, name: draft.name, pendingVersions: [] };
    summary.hasDraft = true;
    byId.set(draft.ruleSetId, summary);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
