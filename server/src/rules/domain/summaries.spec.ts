import { describe, expect, it } from 'vitest';
import { ruleSetSummaries } from './summaries';

const v = (ruleSetId: string, version: number, status: string, environment = 'production', name = 'Tool wear') => ({
  ruleSetId,
  version,
  status,
  environment,
  name,
  author: 'erin',
  createdAt: `2026-12-0${version}T08:00:00.000Z`,
  comment: version === 2 ? 'threshold after the trial' : null,
});

describe('ruleSetSummaries', () => {
  it('names the newest, published and pending versions', () => {
    expect(
      ruleSetSummaries(
        [v('a', 2, 'pending-approval'), v('a', 1, 'published'), v('a', 3, 'rejected', 'production', 'Renamed')],
        [],
      ),
    ).toEqual([
      {
        id: 'a',
        name: 'Renamed',
        latestVersion: 3,
        publishedVersion: 1,
        pendingVersions: [2],
        awaiting: [
          { version: 2, author: 'erin', createdAt: '2026-12-02T08:00:00.000Z', comment: 'threshold after the trial' },
        ],
      },
    ]);
  });

  it('does not take a test version for what production runs', () => {
    expect(ruleSetSummaries([v('a', 1, 'published'), v('a', 2, 'published', 'test')], [])[0].publishedVersion).toBe(1);
  });

  it('lists rule sets that only have a draft, sorted by id', () => {
    expect(
      ruleSetSummaries([v('b', 1, 'published')], [{ ruleSetId: 'a', name: 'Draft' }]).map((s) => [s.id, s.hasDraft]),
    ).toEqual([
      ['a', true],
      ['b', undefined],
    ]);
  });
});
