import * as fs from 'node:fs';
import * as path from 'node:path';
import { answer, ApiError, type RuleSetFile, type RuleSetVersion } from '@loopgate/contracts';
import { ruleSetChecksum } from '@loopgate/rules';
import type { ApiClient } from './api-client';
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
      (await answer(
        author.api.POST('/rulesets/{id}/versions', {
          params: { path: { id: content.id } },
          body: {
            content: content as unknown as Record<string, unknown>,
            environment: 'production',
            comment: `demo: ${name}`,
          },
        }),
      ));
    published.push(
      await answer(
        approver.api.POST('/rulesets/{id}/versions/{version}/approve', {
          params: { path: { id: content.id, version: String(proposed.version) } },
          body: { password: DEMO_PASSWORD, meaning: 'approved', comment: 'demo: second engineer approves' },
        }),
      ),
    );
  }
  return published;
}

async function pendingWith(client: ApiClient, id: string, checksum: string): Promise<RuleSetVersion | undefined> {
  try {
    const versions = await answer(client.api.GET('/rulesets/{id}/versions', { params: { path: { id } } }));
    return versions.find((v) => v.status === 'pending-approval' && v.checksum === checksum);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

async function latestPublished(client: ApiClient, id: string): Promise<RuleSetVersion | undefined> {
  try {
    return await answer(
      client.api.GET('/rulesets/{id}/versions/{version}', { params: { path: { id, version: 'latest' } } }),
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}
