import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RuleSetFile, RuleSetVersion } from '@loopgate/contracts';
import { ruleSetChecksum } from '@loopgate/rules';
import { ApiCallError, type ApiClient } from './api-client';
import { DEMO_PASSWORD } from './demo-site';

/**
 * Publishes every rule set file in `dir` to production through the registry's two-person rule:
 * `author` proposes the version, `approver` signs it. A rule set whose newest published version
 * already has the file's checksum is left alone.
 */
export async function publishRuleSets(dir: string, author: ApiClient, approver: ApiClient): Promise<RuleSetVersion[]> {
  const published: RuleSetVersion[] = [];
  for (const name of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const content = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as RuleSetFile;
    const checksum = ruleSetChecksum(content);
    const latest = await latestPublished(author, content.id);
    if (latest?.checksum === checksum) continue;
    // Proposed before (by a deployment job, say) and waiting for a second person: sign that one.
    const proposed =
      (await pendingWith(author, content.id, checksum)) ??
      (await author.post<RuleSetVersion>(`/rulesets/${encodeURIComponent(content.id)}/versions`, {
        content,
        environment: 'production',
        comment: `demo: ${name}`,
      }));
    published.push(
      await approver.post<RuleSetVersion>(
        `/rulesets/${encodeURIComponent(content.id)}/versions/${proposed.version}/approve`,
        {
          password: DEMO_PASSWORD,
          meaning: 'approved',
          comment: 'demo: second engineer approves',
        },
      ),
    );
  }
  return published;
}

async function pendingWith(client: ApiClient, id: string, checksum: string): Promise<RuleSetVersion | undefined> {
  try {
    const answer = await client.get<RuleSetVersion[] | { versions: RuleSetVersion[] }>(
      `/rulesets/${encodeURIComponent(id)}/versions`,
    );
    const versions = Array.isArray(answer) ? answer : answer.versions;
    return versions.find((v) => v.status === 'pending-approval' && v.checksum === checksum);
  } catch (error) {
    if (error instanceof ApiCallError && error.status === 404) return undefined;
    throw error;
  }
}

async function latestPublished(client: ApiClient, id: string): Promise<RuleSetVersion | undefined> {
  try {
    return await client.get<RuleSetVersion>(`/rulesets/${encodeURIComponent(id)}/versions/latest`);
  } catch (error) {
    if (error instanceof ApiCallError && error.status === 404) return undefined;
    throw error;
  }
}
