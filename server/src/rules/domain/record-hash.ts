import { createHash } from 'node:crypto';

/**
 * The SHA-256 an approval signature binds to: the version's identity and its content checksum,
 * so a signature cannot be moved to another version or to changed content.
 */
export function versionRecordHash(version: {
  ruleSetId: string;
  version: number;
  checksum: string;
  author: string;
  createdAt: string;
  environment: string;
}): string {
  const record = [
    version.ruleSetId,
    version.version,
    version.checksum,
    version.author,
    version.createdAt,
    version.environment,
  ];
  return createHash('sha256').update(JSON.stringify(record), 'utf8').digest('hex');
}
