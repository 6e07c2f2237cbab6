import type { RuleSetFile } from '@loopgate/contracts';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../common/audit.port';
import type { Principal, SignatureService } from '../../auth/principal';
import type { RuleSetVersionEntity } from '../persistence/entities';
import type { RuleSetDraftsRepository } from '../persistence/rule-set-drafts.repository';
import { VersionNumberTaken, type RuleSetVersionsRepository } from '../persistence/rule-set-versions.repository';
import { RuleSetRegistry } from './registry.service';

const erin: Principal = { kind: 'user', id: 'erin', displayName: 'Erin', roles: ['engineer'] };
const file = (name: string): RuleSetFile => ({ schemaVersion: 1, id: 'cell', name, facts: [], rules: [] });

/** Versions in memory; `clash` makes the next inserts fail as if another submission took the number first. */
function versionsStore(clashes: number) {
  const rows: RuleSetVersionEntity[] = [];
  let left = clashes;
  const repo = {
    rows,
    async newest() {
      return rows.reduce<RuleSetVersionEntity | null>((max, r) => (!max || r.version > max.version ? r : max), null);
    },
    async insert(row: RuleSetVersionEntity) {
      if (left > 0) {
        left--;
        rows.push({ ...row, author: 'someone else', checksum: 'x'.repeat(64) });
        throw new VersionNumberTaken(`v${row.version}`);
      }
      rows.push(row);
    },
  };
  return repo;
}

function registry(versions: ReturnType<typeof versionsStore>) {
  const audit: AuditEntry[] = [];
  const service = new RuleSetRegistry(
    versions as unknown as RuleSetVersionsRepository,
    {} as RuleSetDraftsRepository,
    {
      append: async (entry: AuditEntry) => (audit.push(entry), {} as never),
      appendWith: async (entry: AuditEntry) => (audit.push(entry), {} as never),
    },
    {} as SignatureService,
    () => undefined,
  );
  return { service, audit };
}

describe('RuleSetRegistry.createVersion', () => {
  it('takes the next number when another submission stored the same one first', async () => {
    const versions = versionsStore(2);
    const { service, audit } = registry(versions);
    const created = await service.createVersion('cell', { content: file('Cell') }, erin);
    expect(created.version).toBe(3);
    expect(versions.rows.map((r) => [r.version, r.author])).toEqual([
      [1, 'someone else'],
      [2, 'someone else'],
      [3, 'erin'],
    ]);
    expect(audit).toEqual([
      expect.objectContaining({
        outcome: 'pending',
        action: 'rule-set-version',
        lineage: { ruleSetId: 'cell', ruleSetVersion: 3 },
      }),
    ]);
  });

  it('gives up after repeated clashes instead of looping', async () => {
    const { service, audit } = registry(versionsStore(100));
    await expect(service.createVersion('cell', { content: file('Cell') }, erin)).rejects.toBeInstanceOf(
      VersionNumberTaken,
    );
    expect(audit).toEqual([]);
  });

  it('asks for exactly one of content and fromDraft', async () => {
    const { service } = registry(versionsStore(0));
    await expect(service.createVersion('cell', {}, erin)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(service.createVersion('cell', { content: file('Cell'), fromDraft: true }, erin)).rejects.toMatchObject(
      { code: 'VALIDATION_FAILED' },
    );
  });
});
